import { IncomingMessage, type ServerResponse } from 'node:http';
import { getRequestListener, type HttpBindings } from '@hono/node-server';
import { bodyParser as koaBodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import { createTokenIssuer, type TokenIssuerOptions } from '@roomkey/core';
import {
  issueRed5ChatToken as expressChatRoute,
  issueRed5ConferenceToken as expressConferenceRoute,
  issueLiveKitToken as expressLiveKitRoute,
  issueTokens as issueExpressTokens,
} from '@roomkey/express';
import {
  issueRed5ChatToken as fastifyChatRoute,
  issueRed5ConferenceToken as fastifyConferenceRoute,
  issueLiveKitToken as fastifyLiveKitRoute,
  tokenErrorHandler as fastifyTokenErrors,
  issueTokens as issueFastifyTokens,
  tokenRoutes,
} from '@roomkey/fastify';
import {
  createTokenIssuer as createFetchIssuer,
  type IssueTokensOptions as FetchOptions,
  type FetchTokenHandler,
  issueRed5ChatToken as fetchChatRoute,
  issueRed5ConferenceToken as fetchConferenceRoute,
  issueLiveKitToken as fetchLiveKitRoute,
  issueTokens as issueFetchTokens,
} from '@roomkey/fetch';
import {
  issueTokens as issueKoaTokens,
  issueRed5ChatToken as koaChatRoute,
  issueRed5ConferenceToken as koaConferenceRoute,
  issueLiveKitToken as koaLiveKitRoute,
} from '@roomkey/koa';
import type { Request as ExpressRequest } from 'express';
import express4 from 'express4';
import express5 from 'express5';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fastify4 from 'fastify4';
import fastify5 from 'fastify5';
import { Hono, type Context as HonoContext } from 'hono';
import { validator } from 'hono/validator';
import type { Context as KoaContext } from 'koa';
import Koa2 from 'koa2';
import Koa3 from 'koa3';
import type request from 'supertest';
import { fetchListener, type Peer } from './support/fetch-bridge.js';

export type Framework = 'express' | 'koa' | 'fastify' | 'hono' | 'fetch';
export type VariantName = 'express4' | 'express5' | 'koa2' | 'koa3' | 'fastify4' | 'fastify5' | 'hono4' | 'fetch';

/** The options every variant receives: the same object whatever the framework. */
// biome-ignore lint/suspicious/noExplicitAny: the native request type differs per framework
export type ContractOptions = TokenIssuerOptions<any>;

/** What supertest accepts: an Express app, a Koa `app.callback()`, a Node request listener. */
export type AppTarget = Parameters<typeof request>[0];

export interface BuiltApp {
  /** Hand this to supertest. */
  readonly target: AppTarget;
  /** The framework's application object (`req.app` / `ctx.app` point to it). */
  readonly app: object;
}

export interface AppSetup {
  /**
   * Mount the framework's own JSON body parser before roomkey (`express.json()` /
   * `@koa/bodyparser`); for Fastify, keep its default JSON parser (else `tokenRoutes` has
   * roomkey read the raw body).
   */
  readonly bodyParser?: boolean;
  /**
   * Trust the proxy's X-Forwarded-* headers (Express `trust proxy`, Koa `app.proxy`, Fastify
   * `trustProxy`; for the Fetch API variants, `clientAddress` and `isHttps` read them).
   */
  readonly trustProxy?: boolean;
  /**
   * Also mount the Red5 WebRTC SDK's routes, `/chat-token` and
   * `/config-meetings/api/generate-token`, on one issuer shared with `/tokens`
   * (the options need `red5cloud`).
   */
  readonly sdkRoutes?: boolean;
  /** Also mount LiveKit's standard token endpoint at `/livekit-token`, on one issuer shared with `/tokens`. */
  readonly liveKitRoute?: boolean;
}

/** The path {@link AppSetup.liveKitRoute} mounts. */
export const LIVEKIT_ROUTE = '/livekit-token';

/** Whether the routes share one issuer (made once, as an app with several routes does). */
const shared = (setup: AppSetup) => setup.sdkRoutes === true || setup.liveKitRoute === true;

/** The paths {@link AppSetup.sdkRoutes} mounts. */
export const SDK_ROUTES = { chat: '/chat-token', conference: '/config-meetings/api/generate-token' } as const;

export interface Variant {
  readonly name: VariantName;
  readonly framework: Framework;
  /** The adapter's own `issueTokens`, so that option errors surface from it. */
  issueTokens(options: ContractOptions): unknown;
  /** A real app with roomkey mounted at `/tokens` (all methods, as a user mounts it). */
  build(options: ContractOptions, setup?: AppSetup): BuiltApp;
  /** True when `native` is this framework's own request object (Express `req`, Koa `ctx`, Fastify `request`) for `app`. */
  isNative(native: unknown, app: object): boolean;
  /** Reads a request header through the framework's own API. */
  header(native: unknown, name: string): string | undefined;
  /** Whether the framework has body parsing of its own to run before roomkey (a Fetch API handler has none). */
  readonly bodyParsing: boolean;
}

function expressVariant(name: 'express4' | 'express5', express: typeof express4): Variant {
  return {
    name,
    framework: 'express',
    issueTokens: (options) => issueExpressTokens(options),
    build(options, setup = {}) {
      const app = express();
      app.disable('x-powered-by');
      if (setup.trustProxy) app.set('trust proxy', true);
      if (setup.bodyParser) app.use(express.json());
      const issuer = shared(setup) ? createTokenIssuer(options) : options;
      app.all('/tokens', issueExpressTokens(issuer));
      if (setup.sdkRoutes) {
        app.all(SDK_ROUTES.chat, expressChatRoute(issuer));
        app.all(SDK_ROUTES.conference, expressConferenceRoute(issuer));
      }
      if (setup.liveKitRoute) app.all(LIVEKIT_ROUTE, expressLiveKitRoute(issuer));
      return { target: app, app };
    },
    isNative(native, app) {
      const req = native as ExpressRequest;
      return native instanceof IncomingMessage && typeof req.get === 'function' && req.app === app;
    },
    header: (native, header) => (native as ExpressRequest).get(header),
    bodyParsing: true,
  };
}

function koaVariant(name: 'koa2' | 'koa3', Koa: typeof Koa2): Variant {
  return {
    name,
    framework: 'koa',
    issueTokens: (options) => issueKoaTokens(options),
    build(options, setup = {}) {
      const app = new Koa();
      // The framework's own error output (a body parser's 400) is not under test.
      app.silent = true;
      if (setup.trustProxy) app.proxy = true;
      if (setup.bodyParser) app.use(koaBodyParser());
      const router = new Router();
      const issuer = shared(setup) ? createTokenIssuer(options) : options;
      router.all('/tokens', issueKoaTokens(issuer));
      if (setup.sdkRoutes) {
        router.all(SDK_ROUTES.chat, koaChatRoute(issuer));
        router.all(SDK_ROUTES.conference, koaConferenceRoute(issuer));
      }
      if (setup.liveKitRoute) router.all(LIVEKIT_ROUTE, koaLiveKitRoute(issuer));
      app.use(router.routes());
      return { target: app.callback(), app };
    },
    isNative(native, app) {
      const ctx = native as KoaContext;
      return (
        typeof native === 'object' &&
        native !== null &&
        ctx.app === app &&
        ctx.req instanceof IncomingMessage &&
        typeof ctx.request === 'object' &&
        typeof ctx.state === 'object'
      );
    },
    header(native, header) {
      const value = (native as KoaContext).get(header);
      return value === '' ? undefined : value;
    },
    bodyParsing: true,
  };
}

/** The `Request`s each Fetch API app's routes received, so that `isNative` can tell them apart. */
const RECEIVED = new WeakMap<object, WeakSet<Request>>();

type HonoEnv = { Bindings: HttpBindings };

/** The client's address and HTTPS flag as the app is told to find them (the Fetch API has no socket). */
function requestFacts<Ctx>(
  setup: AppSetup,
  socketAddress: (context: Ctx) => string | undefined,
  socketIsTls: (context: Ctx) => boolean,
) {
  if (!setup.trustProxy) {
    return {
      clientAddress: (_request: Request, context: Ctx) => socketAddress(context),
      isHttps: (_request: Request, context: Ctx) => socketIsTls(context),
    };
  }
  // As Express's `trust proxy` (true) and Koa's `app.proxy` read them: the first value listed.
  const first = (request: Request, name: string) => request.headers.get(name)?.split(',')[0]?.trim();
  return {
    clientAddress: (request: Request, context: Ctx) => first(request, 'x-forwarded-for') ?? socketAddress(context),
    isHttps: (request: Request) => first(request, 'x-forwarded-proto') === 'https',
  };
}

/** What both Fetch API variants share: the native request is the `Request` a route received. */
const fetchApi = {
  issueTokens: (options: ContractOptions) => issueFetchTokens(options),
  isNative: (native: unknown, app: object) => native instanceof Request && (RECEIVED.get(app)?.has(native) ?? false),
  header: (native: unknown, header: string) => (native as Request).headers.get(header) ?? undefined,
};

/** Every route of a Fetch API app: `/tokens`, and the Red5 SDK's when asked for. */
function fetchRoutes<Ctx>(options: FetchOptions<Request, Ctx>, setup: AppSetup) {
  const issuer = shared(setup) ? createFetchIssuer(options) : options;
  return new Map<string, FetchTokenHandler<Request, Ctx>>([
    ['/tokens', issueFetchTokens(issuer)],
    ...(setup.sdkRoutes
      ? ([
          [SDK_ROUTES.chat, fetchChatRoute(issuer)],
          [SDK_ROUTES.conference, fetchConferenceRoute(issuer)],
        ] as const)
      : []),
    ...(setup.liveKitRoute ? ([[LIVEKIT_ROUTE, fetchLiveKitRoute(issuer)]] as const) : []),
  ]);
}

/**
 * Hono 4 on `@hono/node-server`, roomkey mounted as `app.all(path, (c) => handler(c.req.raw, c))`.
 * Its own body parsing is Hono's JSON validator, which reads the body before roomkey; roomkey
 * then takes the parsed body from `c.req.json()` (Hono keeps what it read).
 */
function honoVariant(): Variant {
  return {
    name: 'hono4',
    framework: 'hono',
    build(options, setup = {}) {
      const app = new Hono<HonoEnv>();
      const received = new WeakSet<Request>();
      RECEIVED.set(app, received);
      if (setup.bodyParser) app.use(validator('json', (value) => value));
      const routes = fetchRoutes<HonoContext<HonoEnv>>(
        {
          ...options,
          ...requestFacts<HonoContext<HonoEnv>>(
            setup,
            (c) => c.env.incoming.socket.remoteAddress,
            (c) => (c.env.incoming.socket as { encrypted?: boolean }).encrypted === true,
          ),
          ...(setup.bodyParser && { parsedBody: (_request: Request, c: HonoContext<HonoEnv>) => c.req.json() }),
        },
        setup,
      );
      for (const [path, handler] of routes) {
        app.all(path, (c) => {
          received.add(c.req.raw);
          return handler(c.req.raw, c);
        });
      }
      return { target: getRequestListener(app.fetch), app };
    },
    ...fetchApi,
    bodyParsing: true,
  };
}

/**
 * A bare Fetch API handler called with real `Request` objects, as a Next.js route handler
 * (`export const POST = issueTokens(…)`), `Bun.serve` or `Deno.serve` calls it: no framework,
 * every method of a path goes to its handler. The client address comes from the socket the
 * bridge passes as the context, as Bun's `server.requestIP(request)` or Deno's `info.remoteAddr`.
 */
function fetchVariant(): Variant {
  return {
    name: 'fetch',
    framework: 'fetch',
    build(options, setup = {}) {
      const app = { name: 'fetch handlers' };
      const received = new WeakSet<Request>();
      RECEIVED.set(app, received);
      const routes = fetchRoutes<Peer>(
        {
          ...options,
          ...requestFacts<Peer>(
            setup,
            (peer) => peer.address,
            (peer) => peer.encrypted,
          ),
        },
        setup,
      );
      const target = fetchListener(async (request, peer) => {
        const handler = routes.get(new URL(request.url).pathname);
        if (handler === undefined) return new Response('Not Found', { status: 404 });
        received.add(request);
        return handler(request, peer);
      });
      return { target, app };
    },
    ...fetchApi,
    bodyParsing: false,
  };
}

/**
 * A Fastify app as a Node request listener, as Express and Koa give one: Fastify's own router
 * (`app.routing`, what its server runs on every request) once the app is ready.
 */
export function fastifyListener(app: FastifyInstance): (req: IncomingMessage, res: ServerResponse) => void {
  const ready = Promise.resolve(app.ready());
  // A failed start is answered to each request (599), not left as an unhandled rejection.
  ready.catch(() => undefined);
  return (req, res) => {
    ready.then(
      () => app.routing(req, res),
      (error: Error) => res.writeHead(599).end(`not ready: ${error.message}`),
    );
  };
}

function fastifyVariant(name: 'fastify4' | 'fastify5', Fastify: typeof fastify5): Variant {
  return {
    name,
    framework: 'fastify',
    bodyParsing: true,
    issueTokens: (options) => issueFastifyTokens(options),
    build(options, setup = {}) {
      const app = Fastify({ trustProxy: setup.trustProxy ?? false });
      const sdk = { 'red5-chat': SDK_ROUTES.chat, 'red5-conference': SDK_ROUTES.conference } as const;
      if (setup.bodyParser) {
        // Fastify's own JSON parser reads the body; its failures answered as problems on these routes.
        const issuer = shared(setup) ? createTokenIssuer(options) : options;
        const route = { errorHandler: fastifyTokenErrors() };
        app.all('/tokens', route, issueFastifyTokens(issuer));
        if (setup.sdkRoutes) {
          app.all(SDK_ROUTES.chat, route, fastifyChatRoute(issuer));
          app.all(SDK_ROUTES.conference, route, fastifyConferenceRoute(issuer));
        }
        if (setup.liveKitRoute) app.all(LIVEKIT_ROUTE, route, fastifyLiveKitRoute(issuer));
      } else {
        // The plugin: roomkey reads the raw body in its own scope, one issuer for every route.
        const plugin = tokenRoutes(
          options,
          shared(setup)
            ? {
                roomkey: '/tokens',
                ...(setup.sdkRoutes && sdk),
                ...(setup.liveKitRoute && { livekit: LIVEKIT_ROUTE }),
              }
            : undefined,
        );
        app.register(plugin);
      }
      return { target: fastifyListener(app), app };
    },
    isNative(native, app) {
      const request = native as FastifyRequest;
      return (
        typeof native === 'object' &&
        native !== null &&
        request.raw instanceof IncomingMessage &&
        // The route's scope: the app itself, or a plugin's scope made from it.
        (request.server === app || Object.prototype.isPrototypeOf.call(app, request.server)) &&
        typeof request.log === 'object'
      );
    },
    header(native, header) {
      const value = (native as FastifyRequest).headers[header.toLowerCase()];
      return Array.isArray(value) ? value[0] : value;
    },
  };
}

export const VARIANTS: readonly Variant[] = [
  expressVariant('express4', express4),
  expressVariant('express5', express5),
  koaVariant('koa2', Koa2),
  koaVariant('koa3', Koa3),
  honoVariant(),
  fetchVariant(),
  // Typed as Fastify 5: the APIs used here (factory, all, register, ready, routing) are the same in 4.
  fastifyVariant('fastify4', fastify4 as unknown as typeof fastify5),
  fastifyVariant('fastify5', fastify5),
];

/** Builds a real app of one variant with roomkey mounted at `/tokens`. */
export function createApp(variant: Variant | VariantName, options: ContractOptions, setup: AppSetup = {}): BuiltApp {
  const found = typeof variant === 'string' ? VARIANTS.find((candidate) => candidate.name === variant) : variant;
  if (found === undefined) throw new Error(`unknown variant ${String(variant)}`);
  return found.build(options, setup);
}

export interface Mode {
  readonly variant: Variant;
  readonly bodyParser: boolean;
  readonly label: string;
}

/** Every variant, without and (where the framework has one) with its own JSON body parsing first. */
export const MODES: readonly Mode[] = VARIANTS.flatMap((variant) => [
  { variant, bodyParser: false, label: `${variant.name}` },
  ...(variant.bodyParsing ? [{ variant, bodyParser: true, label: `${variant.name} + body parser` }] : []),
]);
