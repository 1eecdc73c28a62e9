/**
 * What a TypeScript user gets without writing a single annotation: `identify` and `authorize`
 * receive the framework's own request type, with the app's own augmentations (express-session's
 * `req.session`, Koa's `ctx.state`, Fastify's declaration merging), and options read from
 * `process.env` compile. These are
 * checked by the type checker (`pnpm typecheck` compiles this file); the tests below run the
 * same apps for real so that the types describe what actually arrives.
 */
import Router from '@koa/router';
import * as core from '@roomkey/core';
import type * as express from '@roomkey/express';
import * as expressAdapter from '@roomkey/express';
import { createTokenIssuer as createExpressIssuer, issueTokens as expressTokens } from '@roomkey/express';
import type * as fastify from '@roomkey/fastify';
import * as fastifyAdapter from '@roomkey/fastify';
import {
  createTokenIssuer as createFastifyIssuer,
  tokenRoutes as fastifyTokenRoutes,
  issueTokens as fastifyTokens,
} from '@roomkey/fastify';
import type * as fetch from '@roomkey/fetch';
import * as fetchAdapter from '@roomkey/fetch';
import type * as koa from '@roomkey/koa';
import * as koaAdapter from '@roomkey/koa';
import { createTokenIssuer as createKoaIssuer, issueTokens as koaTokens } from '@roomkey/koa';
import type { Request } from 'express';
import session from 'express-session';
import express5 from 'express5';
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
    const app = express5();
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

/**
 * What an app names beside its route comes from its adapter, the one package its install line
 * has: the same values and types as @roomkey/core's, and a typed grant table that compiles
 * without `as const`.
 */
describe('what each adapter re-exports from @roomkey/core', () => {
  const VALUES = [
    'bearerJwtIdentity',
    'createRed5ProSigner',
    'createVonageVideoSigner',
    'HttpProblem',
    'isRoomkeyError',
    'problemResponse',
    'Red5Client',
    'RoomkeyError',
  ] as const;
  const CORE_VALUES = new Map<string, unknown>(Object.entries(core));
  const ADAPTERS = { express: expressAdapter, koa: koaAdapter, fastify: fastifyAdapter, fetch: fetchAdapter };

  it.each(Object.entries(ADAPTERS))('@roomkey/%s exports the core’s own values', (_name, adapter) => {
    for (const name of VALUES) expect(adapter[name], name).toBe(CORE_VALUES.get(name));
  });

  it('@roomkey/express: the types are the core’s', () => {
    expectTypeOf<express.Grant>().toEqualTypeOf<core.Grant>();
    expectTypeOf<express.Identity>().toEqualTypeOf<core.Identity>();
    expectTypeOf<express.Role>().toEqualTypeOf<core.Role>();
    expectTypeOf<express.TokenRequest>().toEqualTypeOf<core.TokenRequest>();
    expectTypeOf<express.RoomkeyErrorCode>().toEqualTypeOf<core.RoomkeyErrorCode>();
    expectTypeOf<express.AuthorizeContext<Request>>().toEqualTypeOf<core.AuthorizeContext<Request>>();
    expectTypeOf<express.TokenPlatform>().toEqualTypeOf<core.TokenPlatform>();
    expectTypeOf<express.BearerJwtIdentityOptions>().toEqualTypeOf<core.BearerJwtIdentityOptions>();
    expectTypeOf<express.RateLimitOptions>().toEqualTypeOf<core.RateLimitOptions>();
    expectTypeOf<express.Logger>().toEqualTypeOf<core.Logger>();
  });

  it('@roomkey/koa, @roomkey/fastify, @roomkey/fetch: the types are the core’s', () => {
    type Core = [core.Grant, core.Identity, core.Role, core.TokenRequest, core.AuthorizeContext<Request>];
    expectTypeOf<
      [koa.Grant, koa.Identity, koa.Role, koa.TokenRequest, koa.AuthorizeContext<Request>]
    >().toEqualTypeOf<Core>();
    expectTypeOf<
      [fastify.Grant, fastify.Identity, fastify.Role, fastify.TokenRequest, fastify.AuthorizeContext<Request>]
    >().toEqualTypeOf<Core>();
    expectTypeOf<
      [fetch.Grant, fetch.Identity, fetch.Role, fetch.TokenRequest, fetch.AuthorizeContext<Request>]
    >().toEqualTypeOf<Core>();
  });

  it('a grant table typed with the adapter’s Grant compiles without `as const` and issues tokens', async () => {
    const grants: Record<string, express.Grant> = {
      host: { role: 'moderator', rooms: 'any', transports: 'any' },
      guest: { role: 'subscriber', rooms: ['lobby'], transports: ['WHEP'], ttlMinutes: 15 },
    };
    const app = express5();
    app.all(
      '/tokens',
      expressTokens({
        identify: (req): express.Identity | null => {
          const id = req.get('x-user');
          return id === undefined ? null : { id };
        },
        authorize: ({ identity }) => grants[identity.id] ?? false,
        red5pro: { secret: SECRET },
      }),
    );
    const guest = await request(app).post('/tokens').set('x-user', 'guest').send({ room: 'lobby' });
    expect(guest.status, guest.text).toBe(200);
    expect(guest.body).toMatchObject({ identity: 'guest', role: 'subscriber' });
    const stranger = await request(app).post('/tokens').set('x-user', 'stranger').send({ room: 'lobby' });
    expect(stranger.status).toBe(403);
  });
});
