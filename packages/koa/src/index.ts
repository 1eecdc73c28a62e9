import type { IncomingMessage } from 'node:http';
import {
  problemForBodyError,
  type TokenIssuer,
  type TokenIssuerOptions,
  type TokenProtocol,
  tokenIssuerFor,
} from '@roomkey/core';

/** What the middleware uses of Koa's `ctx`. */
export interface KoaTokenContext {
  readonly req: IncomingMessage;
  /** `body` is left by `@koa/bodyparser` (or any body parser) when the app mounts one. */
  readonly request: { readonly body?: unknown };
  readonly method: string;
  /** Koa's client address, which honours `app.proxy`. */
  readonly ip: string;
  /** Koa's HTTPS flag, which honours `app.proxy`. */
  readonly secure: boolean;
  status: number;
  body: unknown;
  set(fields: Record<string, string>): void;
}

export type IssueTokensOptions<Ctx extends KoaTokenContext = KoaTokenContext> = TokenIssuerOptions<Ctx>;

/** Options, or one issuer from `createTokenIssuer` shared by several routes. */
export type IssuerOrOptions<Ctx extends KoaTokenContext = KoaTokenContext> = IssueTokensOptions<Ctx> | TokenIssuer<Ctx>;

export type KoaTokenMiddleware<Ctx extends KoaTokenContext = KoaTokenContext> = (
  ctx: Ctx,
  next: () => Promise<unknown>,
) => Promise<void>;

function route(protocol: TokenProtocol) {
  return <Ctx extends KoaTokenContext = KoaTokenContext>(options: IssuerOrOptions<Ctx>): KoaTokenMiddleware<Ctx> => {
    const issuer = tokenIssuerFor(options, protocol);
    return async function roomkeyIssueTokens(ctx) {
      const { status, headers, body } = await issuer.handle(
        {
          method: ctx.method,
          headers: ctx.req.headers,
          stream: ctx.req,
          parsedBody: ctx.request.body,
          // Koa works these out from headers (app.proxy): read only when needed.
          get ip() {
            return ctx.ip;
          },
          get secure() {
            return ctx.secure;
          },
          native: ctx,
        },
        protocol,
      );
      ctx.status = status;
      ctx.set({ ...headers });
      ctx.body = body;
    };
  };
}

/**
 * Koa middleware that answers the failures of a body parser mounted after it
 * (`@koa/bodyparser`) as the token routes' problems (`400 invalid_request` for malformed JSON,
 * 413, 415) instead of Koa's plain-text status; every other error is thrown on to the app.
 * Mount it before the parser.
 *
 * @example
 * app.use(tokenErrorHandler());
 * app.use(bodyParser());
 */
export function tokenErrorHandler() {
  return async function roomkeyTokenErrors(
    ctx: Pick<KoaTokenContext, 'status' | 'body' | 'set'>,
    next: () => Promise<unknown>,
  ): Promise<void> {
    try {
      await next();
    } catch (error) {
      const problem = problemForBodyError(error);
      if (problem === undefined) throw error;
      ctx.status = problem.status;
      ctx.set({ ...problem.headers });
      ctx.body = problem.body;
    }
  };
}

/**
 * The roomkey token endpoint (`POST /tokens` in DESIGN.md's contract) as Koa 2/3 middleware:
 * it answers every request it receives, so mount it on a route. Options are checked now; a
 * configuration mistake throws at start-up. `identify` and `authorize` receive `ctx`.
 *
 * @example
 * router.all('/tokens', issueTokens({
 *   identify: (ctx) => (ctx.state.user ? { id: ctx.state.user.id } : null),
 *   red5pro: { secret: process.env.RED5PRO_JWT_SECRET },
 * }));
 */
export const issueTokens = route('roomkey');

/**
 * The Red5 WebRTC SDK's chat-token "backend URL": `POST {userId, channelId, read, write,
 * ttlMinutes}` → `{token}`. Needs `red5cloud` credentials.
 *
 * @example
 * const issuer = createTokenIssuer({ identify, authorize, red5cloud: { masterKey, masterSecret } });
 * router.all('/chat-token', issueRed5ChatToken(issuer));
 */
export const issueRed5ChatToken = route('red5-chat');

/**
 * The Red5 WebRTC SDK's cloud endpoint: `POST /config-meetings/api/generate-token {userId,
 * channelId, expirationMinutes}` → `{success: true, token}`. Needs `red5cloud` credentials.
 *
 * @example
 * router.all('/config-meetings/api/generate-token', issueRed5ConferenceToken(issuer));
 */
export const issueRed5ConferenceToken = route('red5-conference');
