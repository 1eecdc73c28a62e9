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
import type { FastifyPluginCallback, FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify';

// What an app names beside the route (grants, identities, errors, signers), so that it needs no
// second import from @roomkey/core.
export * from '@roomkey/core/app';

type Log = FastifyRequest['log'];

/**
 * The options of {@link issueTokens}: `identify` and `authorize` receive Fastify's own
 * `FastifyRequest` (with whatever the app's declaration merging adds, such as `request.user`).
 */
export type IssueTokensOptions<Req extends FastifyRequest = FastifyRequest> = TokenIssuerOptions<Req>;

/** Options, or one issuer from {@link createTokenIssuer} shared by several routes. */
export type IssuerOrOptions<Req extends FastifyRequest = FastifyRequest> = IssueTokensOptions<Req> | TokenIssuer<Req>;

/** A Fastify route handler that answers every request it receives. */
export type FastifyTokenHandler<Req extends FastifyRequest = FastifyRequest> = (
  request: Req,
  reply: FastifyReply,
) => Promise<FastifyReply>;

/** A route factory: options or an issuer in, a Fastify route handler out. */
export type FastifyTokenRoute = <Req extends FastifyRequest = FastifyRequest>(
  options: IssuerOrOptions<Req>,
) => FastifyTokenHandler<Req>;

/** Which routes {@link tokenRoutes} serves: the protocol each speaks, and its path. */
export type TokenRoutes = Partial<Record<TokenProtocol, string>>;

/**
 * One issuer for several routes (`/tokens` and the Red5 SDK's), with `identify` and `authorize`
 * typed for Fastify. Options are checked now; a configuration mistake throws here.
 *
 * @example
 * const issuer = createTokenIssuer({ identify: (request) => (request.user ? { id: request.user.id } : null), red5cloud });
 * app.all('/tokens', issueTokens(issuer));
 * app.all('/chat-token', issueRed5ChatToken(issuer));
 */
export function createTokenIssuer<Req extends FastifyRequest = FastifyRequest>(
  options: IssueTokensOptions<Req>,
): TokenIssuer<Req> {
  return createCoreIssuer(options);
}

/**
 * The issuer of some routes, checked now for each of their protocols. An issuer passed in is
 * used as it is. Made from options that name no `logger`, it logs to the Fastify app's own
 * logger when the app has one (pino's has a `level`; Fastify's stand-in for none has not): one
 * issuer per logger, made at its first request. `caller` (the function the app called) names
 * where a misspelt option was passed.
 */
function issuers<Req extends FastifyRequest>(
  options: IssuerOrOptions<Req>,
  protocols: readonly TokenProtocol[],
  caller: string,
) {
  // The first protocol makes the issuer from options (or takes the one given); the others check it.
  const checked = protocols.reduce((issuer, name) => tokenIssuerFor(issuer, name, caller), options) as TokenIssuer<Req>;
  if (checked === options) return () => checked;
  const settings = options as IssueTokensOptions<Req>;
  const byLogger = new WeakMap<Log, TokenIssuer<Req>>();
  return (log: Log): TokenIssuer<Req> => {
    if (settings.logger !== undefined || typeof log.level !== 'string') return checked;
    if (!byLogger.has(log)) byLogger.set(log, createCoreIssuer({ ...settings, logger: log }));
    return byLogger.get(log) as TokenIssuer<Req>;
  };
}

/**
 * The request as the core reads it. A class, not an object literal with getters (slow to make
 * and to read): `ip` and `secure`, which Fastify works out from the socket and, with
 * trustProxy, X-Forwarded-*, are still read only when needed.
 */
class FastifyIncoming<Req extends FastifyRequest> implements IncomingTokenRequest<Req> {
  readonly method: string;
  readonly headers: Req['headers'];
  readonly stream: Req['raw'];
  /** What Fastify's JSON parser read (the app's bodyLimit first); unset under tokenRoutes. */
  readonly parsedBody: unknown;
  constructor(readonly native: Req) {
    this.method = native.method;
    this.headers = native.headers;
    this.stream = native.raw;
    this.parsedBody = native.body;
  }
  get ip(): string {
    return this.native.ip;
  }
  get secure(): boolean {
    return this.native.protocol === 'https';
  }
}

function handler<Req extends FastifyRequest>(
  issuerFor: (log: Log) => TokenIssuer<Req>,
  protocol: TokenProtocol,
): FastifyTokenHandler<Req> {
  return async function roomkeyIssueTokens(request, reply) {
    const response = await issuerFor(request.server.log).handle(new FastifyIncoming(request), protocol);
    return send(reply, response);
  };
}

/**
 * Text when the content type names its charset (Node then writes headers and body in one
 * call), bytes otherwise: Fastify would add `; charset=utf-8` to `application/problem+json`.
 */
function send(reply: FastifyReply, { status, headers, body }: TokenResponse): FastifyReply {
  const named = headers['content-type']?.includes('charset=') === true;
  return reply
    .code(status)
    .headers(headers)
    .send(named ? body : Buffer.from(body));
}

/** `caller`: the exported name of the route factory, for the messages of misspelt options. */
function route(protocol: TokenProtocol, caller: string): FastifyTokenRoute {
  return (options) => handler(issuers(options, [protocol], caller), protocol);
}

/**
 * A Fastify error handler that answers the failures of Fastify's content-type parsing
 * (malformed JSON, a body over `bodyLimit`, a media type with no parser) as the token routes'
 * problems (`400 invalid_request`, 413, 415) instead of Fastify's JSON error; every other error
 * is thrown on to the parent scope's handler. Give it the route's protocol (`red5-conference`
 * adds the `success: false` the Red5 SDK reads). {@link tokenRoutes} sets it for its routes.
 *
 * @example
 * app.all('/tokens', { errorHandler: tokenErrorHandler() }, issueTokens({ identify, red5pro }));
 */
export function tokenErrorHandler(protocol: TokenProtocol = 'roomkey') {
  const problemFor = bodyErrorProblems(protocol);
  return function roomkeyTokenErrors(error: Error, _request: FastifyRequest, reply: FastifyReply) {
    const problem = problemFor(error);
    if (problem === undefined) throw error;
    return send(reply, problem);
  };
}

/**
 * A Fastify plugin serving token routes (by default `/tokens`, the HTTP contract:
 * https://github.com/roomkey/roomkey#the-http-contract) in a scope of their own where roomkey reads the raw body itself: JSON only (415), at most
 * `maxBodyBytes` (413), within `bodyTimeoutMs` (408), whatever the app's content-type parsers
 * and `bodyLimit` are. Options are checked now; a configuration mistake throws here.
 *
 * @example
 * await app.register(tokenRoutes({ identify, red5pro: { secret: process.env.RED5PRO_JWT_SECRET } }));
 * await app.register(tokenRoutes(issuer, { 'red5-chat': '/chat-token' }), { prefix: '/red5' });
 */
export function tokenRoutes<Req extends FastifyRequest = FastifyRequest>(
  options: IssuerOrOptions<Req>,
  routes: TokenRoutes = { roomkey: '/tokens' },
): FastifyPluginCallback {
  const served = Object.entries(routes) as [TokenProtocol, string][];
  if (served.length === 0) throw new TypeError('tokenRoutes: name at least one route, such as { roomkey: "/tokens" }');
  const protocols = served.map(([protocol]) => protocol);
  const issuerFor = issuers(options, protocols, 'tokenRoutes');
  return function roomkeyTokenRoutes(scope, _options, done) {
    // Encapsulated: the app's parsers and bodyLimit stay as they are for every other route.
    scope.removeAllContentTypeParsers();
    const leaveUnread = (_request: FastifyRequest, _payload: unknown, done: (error: null) => void) => done(null);
    scope.addContentTypeParser('*', leaveUnread);
    // The same parser named for JSON too, though '*' already covers it: Fastify caches the
    // parser it finds for a Content-Type string only when it is found by name, so without this
    // every token request parsed its Content-Type again (≈ 1 µs in the HTTP benchmark).
    scope.addContentTypeParser('application/json', leaveUnread);
    const issuer = issuerFor(scope.log);
    // The scope's request type is Fastify's default; the app's own is what `Req` describes.
    for (const [protocol, path] of served) {
      const errorHandler = tokenErrorHandler(protocol);
      scope.all(path, { errorHandler }, handler(() => issuer, protocol) as RouteHandlerMethod);
    }
    done();
  };
}

/**
 * The roomkey token endpoint (`POST /tokens`, the HTTP contract:
 * https://github.com/roomkey/roomkey#the-http-contract) as a Fastify 4/5 route handler. The body is the one Fastify's JSON parser read (its `bodyLimit` applies
 * first), measured again against `maxBodyBytes`. Options are checked now; a configuration
 * mistake throws here, at start-up. `identify` and `authorize` receive Fastify's `request`.
 *
 * @example
 * app.all('/tokens', { errorHandler: tokenErrorHandler() }, issueTokens({
 *   identify: (request) => (request.user ? { id: request.user.id } : null),
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
 * app.all('/chat-token', issueRed5ChatToken(issuer));
 */
export const issueRed5ChatToken = route('red5-chat', 'issueRed5ChatToken');

/**
 * The Red5 WebRTC SDK's cloud endpoint: `POST /config-meetings/api/generate-token {userId,
 * channelId, expirationMinutes}` → `{success: true, token}`. Needs `red5cloud` credentials.
 *
 * @example
 * app.all('/config-meetings/api/generate-token', issueRed5ConferenceToken(issuer));
 */
export const issueRed5ConferenceToken = route('red5-conference', 'issueRed5ConferenceToken');

/**
 * LiveKit's standard token endpoint, which every LiveKit client SDK calls
 * (`TokenSource.endpoint(url)`): `POST { room_name, participant_identity, participant_name,
 * participant_metadata, participant_attributes, room_config }` → `201 { server_url,
 * participant_token }`. Needs `livekit: { apiKey, apiSecret, url }`.
 *
 * @example
 * app.post('/livekit-token', issueLiveKitToken(issuer));
 */
export const issueLiveKitToken = route('livekit', 'issueLiveKitToken');
