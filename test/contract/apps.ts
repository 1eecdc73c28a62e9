import { IncomingMessage } from 'node:http';
import { bodyParser as koaBodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import { createTokenIssuer, type TokenIssuerOptions } from '@roomkey/core';
import {
  issueRed5ChatToken as expressChatRoute,
  issueRed5ConferenceToken as expressConferenceRoute,
  issueTokens as issueExpressTokens,
} from '@roomkey/express';
import {
  issueTokens as issueKoaTokens,
  issueRed5ChatToken as koaChatRoute,
  issueRed5ConferenceToken as koaConferenceRoute,
} from '@roomkey/koa';
import type { Request as ExpressRequest } from 'express';
import express4 from 'express4';
import express5 from 'express5';
import type { Context as KoaContext } from 'koa';
import Koa2 from 'koa2';
import Koa3 from 'koa3';
import type request from 'supertest';

export type Framework = 'express' | 'koa';
export type VariantName = 'express4' | 'express5' | 'koa2' | 'koa3';

/** The options every variant receives: the same object whatever the framework. */
// biome-ignore lint/suspicious/noExplicitAny: the native request type differs per framework
export type ContractOptions = TokenIssuerOptions<any>;

/** What supertest accepts: an Express app or a Koa `app.callback()`. */
export type AppTarget = Parameters<typeof request>[0];

export interface BuiltApp {
  /** Hand this to supertest. */
  readonly target: AppTarget;
  /** The framework's application object (`req.app` / `ctx.app` point to it). */
  readonly app: object;
}

export interface AppSetup {
  /** Mount the framework's own JSON body parser before roomkey (`express.json()` / `@koa/bodyparser`). */
  readonly bodyParser?: boolean;
  /** Trust the proxy's X-Forwarded-* headers (Express `trust proxy`, Koa `app.proxy`). */
  readonly trustProxy?: boolean;
  /**
   * Also mount the Red5 WebRTC SDK's routes, `/chat-token` and
   * `/config-meetings/api/generate-token`, on one issuer shared with `/tokens`
   * (the options need `red5cloud`).
   */
  readonly sdkRoutes?: boolean;
}

/** The paths {@link AppSetup.sdkRoutes} mounts. */
export const SDK_ROUTES = { chat: '/chat-token', conference: '/config-meetings/api/generate-token' } as const;

export interface Variant {
  readonly name: VariantName;
  readonly framework: Framework;
  /** The adapter's own `issueTokens`, so that option errors surface from it. */
  issueTokens(options: ContractOptions): unknown;
  /** A real app with roomkey mounted at `/tokens` (all methods, as a user mounts it). */
  build(options: ContractOptions, setup?: AppSetup): BuiltApp;
  /** True when `native` is this framework's own request object (Express `req`, Koa `ctx`) for `app`. */
  isNative(native: unknown, app: object): boolean;
  /** Reads a request header through the framework's own API. */
  header(native: unknown, name: string): string | undefined;
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
      const issuer = setup.sdkRoutes ? createTokenIssuer(options) : options;
      app.all('/tokens', issueExpressTokens(issuer));
      if (setup.sdkRoutes) {
        app.all(SDK_ROUTES.chat, expressChatRoute(issuer));
        app.all(SDK_ROUTES.conference, expressConferenceRoute(issuer));
      }
      return { target: app, app };
    },
    isNative(native, app) {
      const req = native as ExpressRequest;
      return native instanceof IncomingMessage && typeof req.get === 'function' && req.app === app;
    },
    header: (native, header) => (native as ExpressRequest).get(header),
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
      const issuer = setup.sdkRoutes ? createTokenIssuer(options) : options;
      router.all('/tokens', issueKoaTokens(issuer));
      if (setup.sdkRoutes) {
        router.all(SDK_ROUTES.chat, koaChatRoute(issuer));
        router.all(SDK_ROUTES.conference, koaConferenceRoute(issuer));
      }
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
  };
}

export const VARIANTS: readonly Variant[] = [
  expressVariant('express4', express4),
  expressVariant('express5', express5),
  koaVariant('koa2', Koa2),
  koaVariant('koa3', Koa3),
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

/** Every variant, without and with the app's own JSON body parser mounted first. */
export const MODES: readonly Mode[] = VARIANTS.flatMap((variant) => [
  { variant, bodyParser: false, label: `${variant.name}` },
  { variant, bodyParser: true, label: `${variant.name} + body parser` },
]);
