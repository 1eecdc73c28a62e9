/**
 * An app that mounts its JSON body parser for every route (`app.use(express.json())`,
 * `app.use(bodyParser())`, Fastify's default parser) has the parser answer malformed bodies
 * before roomkey runs. Express then answers with its HTML error page and a stack trace, Koa
 * with plain text, Fastify with its own JSON error. With the adapter's `tokenErrorHandler()`
 * those failures are the contract's problems instead.
 */
import { bodyParser as koaBodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import { tokenErrorHandler as expressErrors, issueTokens as issueExpressTokens } from '@roomkey/express';
import { tokenErrorHandler as fastifyErrors, issueTokens as issueFastifyTokens } from '@roomkey/fastify';
import { issueTokens as issueKoaTokens, tokenErrorHandler as koaErrors } from '@roomkey/koa';
import express4 from 'express4';
import express5 from 'express5';
import fastify4 from 'fastify4';
import fastify5 from 'fastify5';
import Koa2 from 'koa2';
import Koa3 from 'koa3';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { fastifyListener, VARIANTS, type Variant } from './apps.js';
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
