/**
 * A browser on another origin calls the token route only after a CORS preflight. roomkey leaves
 * CORS to the framework's own middleware, mounted in front of its route as each adapter's README
 * shows (`cors` for Express, `@koa/cors`, `@fastify/cors`, `hono/cors`), with an exact origin
 * allow-list: the preflight from a listed origin gets the CORS headers, one from any other origin
 * none, and the real POST still gets its token, readable by the listed origin with its `Date`
 * header (which `@roomkey/client` times refreshes by).
 */
import fastifyCors from '@fastify/cors';
import { getRequestListener } from '@hono/node-server';
import koaCors from '@koa/cors';
import Router from '@koa/router';
import type { TokenIssuerOptions } from '@roomkey/core';
import { issueTokens as expressTokens } from '@roomkey/express';
import { tokenRoutes } from '@roomkey/fastify';
import { issueTokens as fetchTokens } from '@roomkey/fetch';
import { issueTokens as koaTokens } from '@roomkey/koa';
import expressCors from 'cors';
import express5 from 'express5';
import fastify5 from 'fastify5';
import { Hono } from 'hono';
import { cors as honoCors } from 'hono/cors';
import Koa3 from 'koa3';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { fastifyListener } from './apps.js';
import { type Agent, expectTokenResponse } from './support/http.js';
import { SECRET } from './support/tokens.js';

const ALLOWED = 'https://app.example';
const ORIGINS = [ALLOWED];
const HEADERS = ['Content-Type', 'Authorization'];
// @roomkey/client times refreshes by the Date header and retries by Retry-After, which browsers
// hide cross-origin unless exposed.
const EXPOSED = ['Date', 'Retry-After'];
const KEY = 'cors-test-key';

// biome-ignore lint/suspicious/noExplicitAny: the native request type differs per framework
type Options = TokenIssuerOptions<any>;
const options = (header: (native: never) => string | undefined): Options => ({
  identify: (native: never) => (header(native) === `Bearer ${KEY}` ? { id: 'carol' } : null),
  authorize: () => ({ role: 'subscriber', rooms: 'any', transports: 'any' }),
  red5pro: { secret: SECRET },
});

function expressApp(): Agent {
  const app = express5();
  app.use(
    '/tokens',
    expressCors({ origin: ORIGINS, methods: ['POST'], allowedHeaders: HEADERS, exposedHeaders: EXPOSED }),
  );
  app.all('/tokens', expressTokens(options((req: express5.Request) => req.get('authorization'))));
  return request(app);
}

function koaApp(): Agent {
  const app = new Koa3();
  const router = new Router();
  const cors = koaCors({
    // @koa/cors takes one origin or a function: answer the request's own origin only when listed.
    origin: (ctx) => (ORIGINS.includes(ctx.get('Origin')) ? ctx.get('Origin') : ''),
    allowMethods: ['POST'],
    allowHeaders: HEADERS,
    exposeHeaders: EXPOSED,
  });
  router.all('/tokens', cors, koaTokens(options((ctx: Koa3.Context) => ctx.get('authorization') || undefined)));
  app.use(router.routes());
  return request(app.callback());
}

function fastifyApp(): Agent {
  const app = fastify5();
  app.register(fastifyCors, { origin: ORIGINS, methods: ['POST'], allowedHeaders: HEADERS, exposedHeaders: EXPOSED });
  app.register(
    tokenRoutes(options((req: { headers: Record<string, string | undefined> }) => req.headers.authorization)),
  );
  return request(fastifyListener(app));
}

function honoApp(): Agent {
  const app = new Hono();
  const tokens = fetchTokens(options((req: Request) => req.headers.get('authorization') ?? undefined));
  app.use(
    '/tokens',
    honoCors({ origin: ORIGINS, allowMethods: ['POST'], allowHeaders: HEADERS, exposeHeaders: EXPOSED }),
  );
  app.all('/tokens', (c) => tokens(c.req.raw, c));
  return request(getRequestListener(app.fetch));
}

const APPS = [
  { name: 'Express 5 + cors', build: expressApp },
  { name: 'Koa 3 + @koa/cors', build: koaApp },
  { name: 'Fastify 5 + @fastify/cors', build: fastifyApp },
  { name: 'Hono 4 + hono/cors', build: honoApp },
] as const;

const preflight = (agent: Agent, origin: string) =>
  agent
    .options('/tokens')
    .set('origin', origin)
    .set('access-control-request-method', 'POST')
    .set('access-control-request-headers', 'content-type,authorization');

describe.each(APPS)('$name in front of the token route', ({ build }) => {
  it('answers a preflight from a listed origin with that origin, POST and the request headers', async () => {
    const res = await preflight(build(), ALLOWED);
    expect(res.status).toBeGreaterThanOrEqual(200);
    expect(res.status).toBeLessThan(300);
    expect(res.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(res.headers['access-control-allow-methods']).toMatch(/\bPOST\b/);
    expect(res.headers['access-control-allow-headers']?.toLowerCase()).toMatch(/\bauthorization\b/);
    expect(res.headers['access-control-allow-headers']?.toLowerCase()).toMatch(/\bcontent-type\b/);
    expect(res.headers.vary?.toLowerCase()).toMatch(/\borigin\b/);
  });

  it('gives a preflight from any other origin no Access-Control-Allow-Origin', async () => {
    const res = await preflight(build(), 'https://evil.example');
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('still issues a token to the real POST, readable by the listed origin', async () => {
    const res = await build()
      .post('/tokens')
      .set('origin', ALLOWED)
      .set('authorization', `Bearer ${KEY}`)
      .set('content-type', 'application/json')
      .send(JSON.stringify({ room: 'room-abc' }));
    expectTokenResponse(res);
    expect(res.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(res.headers['access-control-expose-headers']?.toLowerCase()).toMatch(/\bdate\b/);
    expect(res.headers['access-control-expose-headers']?.toLowerCase()).toMatch(/\bretry-after\b/);
  });
});
