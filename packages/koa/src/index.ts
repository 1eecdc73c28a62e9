import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import {
  bodyErrorProblems,
  createTokenIssuer as createCoreIssuer,
  type IncomingTokenRequest,
  type TokenIssuer,
  type TokenIssuerOptions,
  type TokenProtocol,
  type TokenResponse,
  tokenIssuerFor,
} from '@roomkey/core';
import type { Context, ParameterizedContext } from 'koa';

// What an app names beside the route (grants, identities, errors, signers), so that it needs no
// second import from @roomkey/core.
export * from '@roomkey/core/app';

/** Koa's context with whatever state, custom properties and body type the app declares. */
// biome-ignore lint/suspicious/noExplicitAny: any state and body an app declares
type AnyContext = ParameterizedContext<any, object, any>;

/**
 * The options of {@link issueTokens}: `identify` and `authorize` receive Koa's own `ctx`
 * (`Context`, or the context type the route is mounted with, `ctx.state` included).
 */
export type IssueTokensOptions<Ctx extends AnyContext = Context> = TokenIssuerOptions<Ctx>;

/** Options, or one issuer from {@link createTokenIssuer} shared by several routes. */
export type IssuerOrOptions<Ctx extends AnyContext = Context> = IssueTokensOptions<Ctx> | TokenIssuer<Ctx>;

/** Koa middleware that answers every request it receives: mount it on a route. */
export type KoaTokenMiddleware<Ctx extends AnyContext = Context> = (
  ctx: Ctx,
  next: () => Promise<unknown>,
) => Promise<void>;

/**
 * One issuer for several routes (`/tokens` and the Red5 SDK's), with `identify` and `authorize`
 * typed for Koa. Options are checked now; a configuration mistake throws here.
 *
 * @example
 * const issuer = createTokenIssuer({ identify: (ctx) => (ctx.state.user ? { id: ctx.state.user.id } : null), red5cloud });
 * router.all('/tokens', issueTokens(issuer));
 * router.all('/chat-token', issueRed5ChatToken(issuer));
 */
export function createTokenIssuer<Ctx extends AnyContext = Context>(
  options: IssueTokensOptions<Ctx>,
): TokenIssuer<Ctx> {
  return createCoreIssuer(options);
}

/**
 * The request as the core reads it. A class, not an object literal with getters: such a literal
 * is slow to make and to read (the HTTP benchmark measured ~12 µs a request), while `ip` and
 * `secure`, which Koa works out from headers each time, are still read only when needed.
 */
class KoaIncoming<Ctx extends AnyContext> implements IncomingTokenRequest<Ctx> {
  readonly method: string;
  readonly headers: IncomingHttpHeaders;
  readonly stream: IncomingMessage;
  /** Left by @koa/bodyparser (or any body parser) when the app mounts one. */
  readonly parsedBody: unknown;
  readonly native: Ctx;
  constructor(ctx: Ctx) {
    this.method = ctx.method;
    this.headers = ctx.req.headers;
    this.stream = ctx.req;
    this.parsedBody = (ctx.request as { body?: unknown }).body;
    this.native = ctx;
  }
  /** Koa's client address, which honours `app.proxy`. */
  get ip(): string {
    return this.native.ip;
  }
  /** Koa's HTTPS flag, which honours `app.proxy`. */
  get secure(): boolean {
    return this.native.secure;
  }
}

/** A route factory: options or an issuer in, Koa middleware out. */
export type KoaTokenRoute = <Ctx extends AnyContext = Context>(
  options: IssuerOrOptions<Ctx>,
) => KoaTokenMiddleware<Ctx>;

/** `caller`: the exported name of the route factory, for the messages of misspelt options. */
function route(protocol: TokenProtocol, caller: string): KoaTokenRoute {
  return <Ctx extends AnyContext = Context>(options: IssuerOrOptions<Ctx>): KoaTokenMiddleware<Ctx> => {
    const issuer = tokenIssuerFor(options, protocol, caller);
    return async function roomkeyIssueTokens(ctx) {
      const { status, headers, body } = await issuer.handle(new KoaIncoming(ctx), protocol);
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
 * Mount it before the parser. Its problems are the `roomkey` route's; name the paths of other
 * protocols' routes (`red5-conference` adds the `success: false` the Red5 SDK reads), or the one
 * protocol of the route it is mounted on.
 *
 * @example
 * app.use(tokenErrorHandler({ 'red5-conference': '/config-meetings/api/generate-token' }));
 * app.use(bodyParser());
 */
export function tokenErrorHandler(routes: TokenProtocol | Partial<Record<TokenProtocol, string>> = 'roomkey') {
  const byPath = new Map<string, (error: unknown) => TokenResponse | undefined>();
  if (typeof routes === 'object' && routes !== null) {
    for (const [protocol, path] of Object.entries(routes)) {
      const problemFor = bodyErrorProblems(protocol as TokenProtocol);
      if (typeof path !== 'string' || !path.startsWith('/')) {
        throw new TypeError(`tokenErrorHandler: the path of ${protocol} must be a path such as "/tokens"`);
      }
      byPath.set(path, problemFor);
    }
  }
  const others = bodyErrorProblems(typeof routes === 'string' ? routes : 'roomkey');
  return async function roomkeyTokenErrors(ctx: AnyContext, next: () => Promise<unknown>): Promise<void> {
    try {
      await next();
    } catch (error) {
      const problem = (byPath.get(ctx.path) ?? others)(error);
      if (problem === undefined) throw error;
      ctx.status = problem.status;
      ctx.set({ ...problem.headers });
      ctx.body = problem.body;
    }
  };
}

/**
 * The roomkey token endpoint (`POST /tokens`, the HTTP contract in the README) as Koa 2/3
 * middleware: it answers every request it receives, so mount it on a route. Options are
 * checked now; a configuration mistake throws at start-up. `identify` and `authorize` receive `ctx`.
 *
 * @example
 * router.all('/tokens', issueTokens({
 *   identify: (ctx) => (ctx.state.user ? { id: ctx.state.user.id } : null),
 *   authorize: () => ({ role: 'subscriber', rooms: 'any', transports: 'any' }),
 *   red5pro: { secret: process.env.RED5PRO_JWT_SECRET },
 * }));
 */
export const issueTokens = route('roomkey', 'issueTokens');

/**
 * The Red5 WebRTC SDK's chat-token "backend URL": `POST {userId, channelId, read, write,
 * ttlMinutes}` → `{token}`. Needs `red5cloud` credentials.
 *
 * @example
 * const issuer = createTokenIssuer({ identify, authorize, red5cloud: { masterKey, masterSecret } });
 * router.all('/chat-token', issueRed5ChatToken(issuer));
 */
export const issueRed5ChatToken = route('red5-chat', 'issueRed5ChatToken');

/**
 * The Red5 WebRTC SDK's cloud endpoint: `POST /config-meetings/api/generate-token {userId,
 * channelId, expirationMinutes}` → `{success: true, token}`. Needs `red5cloud` credentials.
 *
 * @example
 * router.all('/config-meetings/api/generate-token', issueRed5ConferenceToken(issuer));
 */
export const issueRed5ConferenceToken = route('red5-conference', 'issueRed5ConferenceToken');

/**
 * LiveKit's standard token endpoint, which every LiveKit client SDK calls
 * (`TokenSource.endpoint(url)`): `POST { room_name, participant_identity, participant_name,
 * participant_metadata, participant_attributes, room_config }` → `201 { server_url,
 * participant_token }`. Needs `livekit: { apiKey, apiSecret, url }`.
 *
 * @example
 * router.post('/livekit-token', issueLiveKitToken(issuer));
 */
export const issueLiveKitToken = route('livekit', 'issueLiveKitToken');
