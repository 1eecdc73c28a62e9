import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
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
import type { Request } from 'express';

// What an app names beside the route (grants, identities, errors, signers), so that it needs no
// second import from @roomkey/core.
export * from '@roomkey/core/app';

/**
 * The options of {@link issueTokens}: `identify` and `authorize` receive Express's own `Request`
 * (with whatever the app's type augmentations add, such as express-session's `req.session`).
 */
export type IssueTokensOptions<Req extends Request = Request> = TokenIssuerOptions<Req>;

/** Options, or one issuer from {@link createTokenIssuer} shared by several routes. */
export type IssuerOrOptions<Req extends Request = Request> = IssueTokensOptions<Req> | TokenIssuer<Req>;

/** An Express route handler; errors it cannot answer go to `next`. */
export type ExpressTokenHandler<Req extends Request = Request> = (
  req: Req,
  res: ServerResponse,
  next: (error?: unknown) => void,
) => Promise<void>;

/**
 * One issuer for several routes (`/tokens` and the Red5 SDK's), with `identify` and `authorize`
 * typed for Express. Options are checked now; a configuration mistake throws here.
 *
 * @example
 * const issuer = createTokenIssuer({ identify: (req) => (req.user ? { id: req.user.id } : null), red5cloud });
 * app.all('/tokens', issueTokens(issuer));
 * app.all('/chat-token', issueRed5ChatToken(issuer));
 */
export function createTokenIssuer<Req extends Request = Request>(options: IssueTokensOptions<Req>): TokenIssuer<Req> {
  return createCoreIssuer(options);
}

/**
 * The request as the core reads it. A class, not an object literal with getters: such a literal
 * is slow to make and to read (the HTTP benchmark measured ~12 µs a request), while `ip` and
 * `secure`, which Express works out on every read (trust proxy), are still read only when needed.
 */
class ExpressIncoming<Req extends Request> implements IncomingTokenRequest<Req> {
  readonly method: string;
  readonly headers: IncomingHttpHeaders;
  readonly stream: Req;
  /** Left by express.json() (or any body parser) when the app mounts one. */
  readonly parsedBody: unknown;
  readonly native: Req;
  constructor(req: Req) {
    this.method = req.method;
    this.headers = req.headers;
    this.stream = req;
    this.parsedBody = req.body;
    this.native = req;
  }
  get ip(): string | undefined {
    return this.native.ip;
  }
  get secure(): boolean {
    return this.native.secure;
  }
}

/** A route factory: options or an issuer in, an Express route handler out. */
export type ExpressTokenRoute = <Req extends Request = Request>(
  options: IssuerOrOptions<Req>,
) => ExpressTokenHandler<Req>;

/** `caller`: the exported name of the route factory, for the messages of misspelt options. */
function route(protocol: TokenProtocol, caller: string): ExpressTokenRoute {
  return <Req extends Request = Request>(options: IssuerOrOptions<Req>): ExpressTokenHandler<Req> => {
    const issuer = tokenIssuerFor(options, protocol, caller);
    return async function roomkeyIssueTokens(req, res, next) {
      try {
        const response = await issuer.handle(new ExpressIncoming(req), protocol);
        send(res, response);
      } catch (error) {
        next(error);
      }
    };
  };
}

/** Status, headers and body written at once. */
function send(res: ServerResponse, { status, headers, body }: TokenResponse): void {
  res.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(body) }).end(body);
}

/**
 * An Express error handler that answers the failures of a body parser mounted for the whole
 * app (`app.use(express.json())`) as the token routes' problems (`400 invalid_request` for
 * malformed JSON, 413, 415) instead of Express's HTML error page; every other error goes on to
 * the app's own handlers. Mount it after the parser, on the token routes' paths, with the
 * protocol of the route (`red5-conference` adds the `success: false` the Red5 SDK reads).
 *
 * @example
 * app.use(express.json());
 * app.all('/tokens', issueTokens({ identify, red5pro }));
 * app.use('/tokens', tokenErrorHandler());
 * app.use('/config-meetings/api/generate-token', tokenErrorHandler('red5-conference'));
 */
export function tokenErrorHandler(protocol: TokenProtocol = 'roomkey') {
  const problemFor = bodyErrorProblems(protocol);
  return function roomkeyTokenErrors(
    error: unknown,
    _req: IncomingMessage,
    res: ServerResponse,
    next: (error?: unknown) => void,
  ): void {
    const problem = problemFor(error);
    if (problem === undefined || res.headersSent) next(error);
    else send(res, problem);
  };
}

/**
 * The roomkey token endpoint (`POST /tokens`, the HTTP contract in the README) as an Express 4/5
 * route handler. Options are checked now; a configuration mistake throws here, at start-up.
 * `identify` and `authorize` receive Express's `req`.
 *
 * @example
 * app.all('/tokens', issueTokens({
 *   identify: (req) => (req.session.user ? { id: req.session.user.id } : null),
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
