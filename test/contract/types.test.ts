/**
 * What a TypeScript user gets without writing a single annotation: `identify` and `authorize`
 * receive the framework's own request type, with the app's own augmentations (express-session's
 * `req.session`, Koa's `ctx.state`, Fastify's declaration merging), and options read from
 * `process.env` compile. These are
 * checked by the type checker (`pnpm typecheck` compiles this file); the tests below run the
 * same apps for real so that the types describe what actually arrives.
 */
import Router from '@koa/router';
import { createTokenIssuer as createExpressIssuer, issueTokens as expressTokens } from '@roomkey/express';
import {
  createTokenIssuer as createFastifyIssuer,
  tokenRoutes as fastifyTokenRoutes,
  issueTokens as fastifyTokens,
} from '@roomkey/fastify';
import { createTokenIssuer as createKoaIssuer, issueTokens as koaTokens } from '@roomkey/koa';
import type { Request } from 'express';
import session from 'express-session';
import express from 'express5';
import type { FastifyRequest } from 'fastify';
import fastify5 from 'fastify5';
import type Koa from 'koa';
import Koa3 from 'koa3';
import request from 'supertest';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { fastifyListener } from './apps.js';
import { SECRET } from './support/tokens.js';

declare module 'express-session' {
  interface SessionData {
    user?: { id: string; host: boolean };
  }
}

// How a Koa app types its state: augmenting Koa's DefaultState.
declare module 'koa' {
  interface DefaultState {
    member?: { id: string };
  }
}

// How a Fastify app types what its hooks add to the request: declaration merging.
declare module 'fastify' {
  interface FastifyRequest {
    member?: { id: string; host: boolean };
  }
}

process.env.ROOMKEY_TYPES_TEST_SECRET = SECRET;

describe('types users get without annotations', () => {
  it('Express: identify and authorize get Request with express-session; process.env options compile', async () => {
    const app = express();
    app.use(session({ secret: 'types-test-session-secret', resave: false, saveUninitialized: false }));
    app.use((req, _res, next) => {
      req.session.user = { id: 'dana', host: true };
      next();
    });
    app.all(
      '/tokens',
      expressTokens({
        identify: (req) => {
          expectTypeOf(req).toEqualTypeOf<Request>();
          return req.session.user ? { id: req.session.user.id } : null;
        },
        authorize: ({ nativeRequest }) => ({
          role: nativeRequest.session.user?.host ? 'publisher' : 'subscriber',
          rooms: 'any',
          transports: 'any',
        }),
        red5pro: { secret: process.env.ROOMKEY_TYPES_TEST_SECRET },
      }),
    );
    const res = await request(app).post('/tokens').send({ room: 'lobby', role: 'publisher' });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ identity: 'dana', role: 'publisher' });
  });

  it('Express: createTokenIssuer from the adapter types req as Request too', () => {
    const issuer = createExpressIssuer({
      identify: (req) => {
        expectTypeOf(req).toEqualTypeOf<Request>();
        return null;
      },
      red5pro: { secret: SECRET },
    });
    expect(issuer.tokenNames).toEqual(['red5pro']);
  });

  it('Koa: identify gets the route’s context with its state; issueTokens<Koa.Context> compiles', async () => {
    const app = new Koa3();
    app.use(async (ctx, next) => {
      ctx.state.member = { id: 'eve' };
      await next();
    });
    const router = new Router();
    router.all(
      '/tokens',
      koaTokens({
        identify: (ctx) => {
          expectTypeOf(ctx.state.member).toEqualTypeOf<{ id: string } | undefined>();
          return ctx.state.member ? { id: ctx.state.member.id } : null;
        },
        red5pro: { secret: process.env.ROOMKEY_TYPES_TEST_SECRET },
      }),
    );
    app.use(router.routes());
    const explicit = koaTokens<Koa.Context>({
      identify: (ctx) => (ctx.get('x-user') ? { id: 'x' } : null),
      red5pro: { secret: SECRET },
    });
    expect(typeof explicit).toBe('function');
    const res = await request(app.callback()).post('/tokens').send({ room: 'lobby' });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ identity: 'eve', role: 'subscriber' });
  });

  it('Koa: createTokenIssuer from the adapter types ctx as Koa.Context', () => {
    const issuer = createKoaIssuer({
      identify: (ctx) => {
        expectTypeOf(ctx).toEqualTypeOf<Koa.Context>();
        return null;
      },
      red5pro: { secret: SECRET },
    });
    expect(issuer.tokenNames).toEqual(['red5pro']);
  });

  it('Fastify: identify and authorize get FastifyRequest with what the app merged in', async () => {
    const app = fastify5();
    app.decorateRequest('member', undefined);
    app.addHook('onRequest', async (request) => {
      request.member = { id: 'fay', host: request.url === '/tokens' };
    });
    app.all(
      '/tokens',
      fastifyTokens({
        identify: (request) => {
          expectTypeOf(request).toEqualTypeOf<FastifyRequest>();
          return request.member ? { id: request.member.id } : null;
        },
        authorize: ({ nativeRequest }) => ({
          role: nativeRequest.member?.host ? 'publisher' : 'subscriber',
          rooms: 'any',
          transports: 'any',
        }),
        red5pro: { secret: process.env.ROOMKEY_TYPES_TEST_SECRET },
      }),
    );
    app.register(
      fastifyTokenRoutes({
        identify: (request) => (request.member ? { id: request.member.id } : null),
        red5pro: { secret: SECRET },
      }),
      { prefix: '/plugin' },
    );
    const agent = request(fastifyListener(app));
    const res = await agent.post('/tokens').send({ room: 'lobby', role: 'publisher' });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ identity: 'fay', role: 'publisher' });
    const plugin = await agent.post('/plugin/tokens').send({ room: 'lobby' });
    expect(plugin.status, plugin.text).toBe(200);
    expect(plugin.body).toMatchObject({ identity: 'fay', role: 'subscriber' });
  });

  it('Fastify: createTokenIssuer from the adapter types request as FastifyRequest', () => {
    const issuer = createFastifyIssuer({
      identify: (request) => {
        expectTypeOf(request).toEqualTypeOf<FastifyRequest>();
        return null;
      },
      red5pro: { secret: SECRET },
    });
    expect(issuer.tokenNames).toEqual(['red5pro']);
  });
});
