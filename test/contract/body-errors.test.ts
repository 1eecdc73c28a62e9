/**
 * An app that mounts its JSON body parser for every route (`app.use(express.json())`,
 * `app.use(bodyParser())`, Fastify's default parser) has the parser answer malformed bodies
 * before roomkey runs. Express then answers with its HTML error page and a stack trace, Koa
 * with plain text, Fastify with its own JSON error. With the adapter's `tokenErrorHandler()`
 * those failures are the contract's problems instead, with the members of the route's protocol
 * (`success: false` on the Red5 SDK's conference route, which that SDK reads).
 */
import { getRequestListener } from '@hono/node-server';
import { bodyParser as koaBodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import type { TokenIssuerOptions } from '@roomkey/core';
import {
  issueRed5ConferenceToken as expressConference,
  tokenErrorHandler as expressErrors,
  issueTokens as issueExpressTokens,
} from '@roomkey/express';
import {
  issueRed5ConferenceToken as fastifyConference,
  tokenErrorHandler as fastifyErrors,
  tokenRoutes as fastifyTokenRoutes,
  issueTokens as issueFastifyTokens,
} from '@roomkey/fastify';
import { issueRed5ConferenceToken as fetchConference } from '@roomkey/fetch';
import {
  issueTokens as issueKoaTokens,
  issueRed5ConferenceToken as koaConference,
  tokenErrorHandler as koaErrors,
} from '@roomkey/koa';
import express4 from 'express4';
import express5 from 'express5';
import fastify4 from 'fastify4';
import fastify5 from 'fastify5';
import { Hono } from 'hono';
import Koa2 from 'koa2';
import Koa3 from 'koa3';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import {
  credentialFields,
  makeCredentials,
  makeMasterKey,
  referenceMasterSecret,
} from '../../packages/core/test/support/red5cloud.js';
import { fastifyListener, SDK_ROUTES, VARIANTS, type Variant } from './apps.js';
import { type Agent, expectProblem, expectTokenResponse, postJson, postRaw } from './support/http.js';
import { apiKeyIdentify } from './support/identity.js';
import { SECRET } from './support/tokens.js';

const ROOM = 'room-abc';
const variantNamed = (name: string) => VARIANTS.find((variant) => variant.name === name) as Variant;

function expressApp(express: typeof express4, name: string, withHandler: boolean): Agent {
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json());
  app.all('/tokens', issueExpressTokens({ identify: apiKeyIdentify(variantNamed(name)), red5pro: { secret: SECRET } }));
  app.post('/other', () => {
    throw new Error('an error of the app');
  });
  if (withHandler) app.use('/tokens', expressErrors());
  // The app's own last handler: what every error the token handler leaves alone reaches.
  app.use(
    (error: Error, _req: unknown, res: { status(code: number): { send(text: string): void } }, _next: unknown) => {
      res.status(599).send(`app handler: ${error.message}`);
    },
  );
  return request(app);
}

function koaApp(Koa: typeof Koa2, name: string, withHandler: boolean): Agent {
  const app = new Koa();
  app.silent = true;
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      ctx.status = 599;
      ctx.body = `app handler: ${(error as Error).message}`;
    }
  });
  if (withHandler) app.use(koaErrors());
  app.use(koaBodyParser());
  const router = new Router();
  router.all('/tokens', issueKoaTokens({ identify: apiKeyIdentify(variantNamed(name)), red5pro: { secret: SECRET } }));
  router.post('/other', () => {
    throw new Error('an error of the app');
  });
  app.use(router.routes());
  return request(app.callback());
}

function fastifyApp(Fastify: typeof fastify5, name: string, withHandler: boolean): Agent {
  const app = Fastify();
  // The app's own error handler: what every error the token routes leave alone reaches.
  app.setErrorHandler((error: Error, _request, reply) => reply.code(599).send(`app handler: ${error.message}`));
  const route = withHandler ? { errorHandler: fastifyErrors() } : {};
  app.all(
    '/tokens',
    route,
    issueFastifyTokens({ identify: apiKeyIdentify(variantNamed(name)), red5pro: { secret: SECRET } }),
  );
  app.post('/other', route, () => {
    throw new Error('an error of the app');
  });
  return request(fastifyListener(app));
}

const APPS = [
  { name: 'express4', build: (handler: boolean) => expressApp(express4, 'express4', handler) },
  { name: 'express5', build: (handler: boolean) => expressApp(express5, 'express5', handler) },
  { name: 'koa2', build: (handler: boolean) => koaApp(Koa2, 'koa2', handler) },
  { name: 'koa3', build: (handler: boolean) => koaApp(Koa3, 'koa3', handler) },
  // Typed as Fastify 5: the APIs used here are the same in 4.
  { name: 'fastify4', build: (handler: boolean) => fastifyApp(fastify4 as never, 'fastify4', handler) },
  { name: 'fastify5', build: (handler: boolean) => fastifyApp(fastify5, 'fastify5', handler) },
] as const;

describe.each(APPS)('a body parser mounted for the whole $name app', ({ name, build }) => {
  it('without tokenErrorHandler: malformed JSON is answered by the framework, not as a problem', async () => {
    const res = await postRaw(build(false), '{"room":', 'application/json');
    expect(res.headers['content-type']).not.toBe('application/problem+json');
  });

  it('with tokenErrorHandler: malformed JSON is 400 invalid_request, with no stack and no echo', async () => {
    const res = await postRaw(build(true), '{"room":"SECRET-ish-body-text', 'application/json');
    const problem = expectProblem(res, 400, 'invalid_request');
    expect(problem.detail).toBe('The request body is not valid JSON.');
    expect(res.text).not.toContain('SECRET-ish-body-text');
    expect(res.text).not.toMatch(/\bat \S+ \(/);
  });

  it('with tokenErrorHandler: an oversized body is 413 payload_too_large', async () => {
    const res = await postRaw(
      build(true),
      JSON.stringify({ room: ROOM, pad: 'x'.repeat(2_000_000) }),
      'application/json',
    );
    expectProblem(res, 413, 'payload_too_large');
  });

  if (name.startsWith('fastify')) {
    it('with tokenErrorHandler: a media type Fastify has no parser for is 415 unsupported_media_type', async () => {
      const res = await postRaw(build(true), `room=${ROOM}`, 'application/x-www-form-urlencoded');
      expectProblem(res, 415, 'unsupported_media_type');
    });

    it('with tokenErrorHandler: an empty JSON body is 400 invalid_request', async () => {
      expectProblem(await postRaw(build(true), '', 'application/json'), 400, 'invalid_request');
    });
  }

  if (name.startsWith('express')) {
    it('with tokenErrorHandler: a charset other than UTF-8 is 415 unsupported_media_type', async () => {
      const res = await postRaw(build(true), JSON.stringify({ room: ROOM }), 'application/json; charset=latin1');
      expectProblem(res, 415, 'unsupported_media_type');
    });
  }

  it('still issues tokens, and leaves every other error to the app’s own handler', async () => {
    const agent = build(true);
    expectTokenResponse(await postJson(agent, { room: ROOM }));
    const other = await agent.post('/other').set('content-type', 'application/json').send('{}');
    expect(other.status).toBe(599);
    expect(other.text).toBe('app handler: an error of the app');
  });
});

// The Red5 WebRTC SDK's cloud endpoint reads `success` in every answer, errors included.
const masterKey = makeMasterKey();
const red5cloud = { masterKey, masterSecret: referenceMasterSecret(masterKey, credentialFields(makeCredentials())) };
// biome-ignore lint/suspicious/noExplicitAny: the native request type differs per framework
const conferenceOptions: TokenIssuerOptions<any> = { identify: () => ({ id: 'carol' }), red5cloud };
const CONFERENCE = SDK_ROUTES.conference;

function expressConferenceApp(express: typeof express4): Agent {
  const app = express();
  app.use(express.json());
  app.all(CONFERENCE, expressConference(conferenceOptions));
  app.use(CONFERENCE, expressErrors('red5-conference'));
  return request(app);
}

function koaConferenceApp(Koa: typeof Koa2): Agent {
  const app = new Koa();
  app.silent = true;
  app.use(koaErrors({ 'red5-conference': CONFERENCE }));
  app.use(koaBodyParser());
  const router = new Router();
  router.all(CONFERENCE, koaConference(conferenceOptions));
  app.use(router.routes());
  return request(app.callback());
}

function fastifyConferenceApp(Fastify: typeof fastify5): Agent {
  const app = Fastify();
  app.all(CONFERENCE, { errorHandler: fastifyErrors('red5-conference') }, fastifyConference(conferenceOptions));
  // The plugin's routes, where roomkey reads the body: Fastify's own refusals still come first.
  app.register(fastifyTokenRoutes(conferenceOptions, { 'red5-conference': CONFERENCE }), { prefix: '/plugin' });
  return request(fastifyListener(app));
}

/** Hono with a middleware that reads the body before roomkey, which then takes it from `c.req.json()`. */
function honoConferenceApp(): Agent {
  const app = new Hono();
  const conference = fetchConference({
    ...conferenceOptions,
    parsedBody: (_request, c: { req: { json(): unknown } }) => c.req.json(),
  });
  app.use(async (c, next) => {
    await c.req.text();
    await next();
  });
  app.all(CONFERENCE, (c) => conference(c.req.raw, c));
  return request(getRequestListener(app.fetch));
}

const CONFERENCE_APPS = [
  { name: 'express4', build: () => expressConferenceApp(express4), paths: [CONFERENCE] },
  { name: 'express5', build: () => expressConferenceApp(express5), paths: [CONFERENCE] },
  { name: 'koa2', build: () => koaConferenceApp(Koa2), paths: [CONFERENCE] },
  { name: 'koa3', build: () => koaConferenceApp(Koa3), paths: [CONFERENCE] },
  {
    name: 'fastify4',
    build: () => fastifyConferenceApp(fastify4 as never),
    paths: [CONFERENCE, `/plugin${CONFERENCE}`],
  },
  { name: 'fastify5', build: () => fastifyConferenceApp(fastify5), paths: [CONFERENCE, `/plugin${CONFERENCE}`] },
  { name: 'hono4', build: honoConferenceApp, paths: [CONFERENCE] },
] as const;

describe.each(CONFERENCE_APPS)(
  'a body parser in front of the Red5 SDK’s conference route on $name',
  ({ build, paths }) => {
    it.each(paths)('%s: malformed JSON is 400 invalid_request with success: false', async (path) => {
      const res = await build().post(path).set('content-type', 'application/json').send('{"userId":');
      expect(res.status, res.text).toBe(400);
      expect(res.headers['content-type']).toBe('application/problem+json');
      expect(JSON.parse(res.text)).toMatchObject({ code: 'invalid_request', status: 400, success: false });
    });
  },
);

describe.each(['express5', 'koa3', 'fastify5'] as const)(
  'a body parser in front of the $0 conference route',
  (name) => {
    const build = CONFERENCE_APPS.find((app) => app.name === name)?.build as () => Agent;

    it('an oversized body is 413 payload_too_large with success: false', async () => {
      const body = JSON.stringify({ userId: 'carol', channelId: ROOM, pad: 'x'.repeat(2_000_000) });
      const res = await build().post(CONFERENCE).set('content-type', 'application/json').send(body);
      expect(res.status, res.text).toBe(413);
      expect(JSON.parse(res.text)).toMatchObject({ code: 'payload_too_large', success: false });
    });
  },
);

describe('tokenErrorHandler’s protocol', () => {
  it('is checked when the handler is made: a name that is no protocol throws a TypeError', () => {
    for (const make of [expressErrors, fastifyErrors, koaErrors] as ((protocol: string) => unknown)[]) {
      expect(() => make('red5-conferense')).toThrow(TypeError);
    }
    expect(() => koaErrors({ 'red5-conferense': CONFERENCE } as never)).toThrow(TypeError);
    expect(() => koaErrors({ 'red5-conference': 'config-meetings' })).toThrow(/must be a path/);
  });

  it('leaves the roomkey route’s problems as the contract has them (no success member)', async () => {
    const res = await postRaw(APPS[1].build(true), '{"room":', 'application/json');
    expect(JSON.parse(res.text)).not.toHaveProperty('success');
  });
});
