import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  problemForBodyError,
  type TokenIssuer,
  type TokenIssuerOptions,
  type TokenProtocol,
  type TokenResponse,
  tokenIssuerFor,
} from '@roomkey/core';

/** What the handler reads from Express's `req`: the Node request plus `body` and `ip`. */
export interface ExpressTokenRequest extends IncomingMessage {
  /** Left by `express.json()` (or any body parser) when the app mounts one. */
  body?: unknown;
  /** Express's client address, which honours the app's `trust proxy` setting. */
  ip?: string | undefined;
  /** Express's HTTPS flag, which honours the app's `trust proxy` setting. */
  secure?: boolean | undefined;
}

export type IssueTokensOptions<Req extends ExpressTokenRequest = ExpressTokenRequest> = TokenIssuerOptions<Req>;

/** Options, or one issuer from `createTokenIssuer` shared by several routes. */
export type IssuerOrOptions<Req extends ExpressTokenRequest = ExpressTokenRequest> =
  | IssueTokensOptions<Req>
  | TokenIssuer<Req>;

export type ExpressTokenHandler<Req extends ExpressTokenRequest = ExpressTokenRequest> = (
  req: Req,
  res: ServerResponse,
  next: (error?: unknown) => void,
) => Promise<void>;

function route(protocol: TokenProtocol) {
  return <Req extends ExpressTokenRequest = ExpressTokenRequest>(
    options: IssuerOrOptions<Req>,
  ): ExpressTokenHandler<Req> => {
    const issuer = tokenIssuerFor(options, protocol);
    return async function roomkeyIssueTokens(req, res, next) {
      try {
        const { status, headers, body } = await issuer.handle(
          {
            method: req.method ?? '',
            headers: req.headers,
            stream: req,
            parsedBody: req.body,
            // Express works these out on every read (trust proxy): read only when needed.
            get ip() {
              return req.ip;
            },
            get secure() {
              return req.secure;
            },
            native: req,
          },
          protocol,
        );
        send(res, { status, headers, body });
      } catch (error) {
        next(error);
      }
    };
  };
}

function send(res: ServerResponse, { status, headers, body }: TokenResponse): void {
  res.statusCode = status;
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.setHeader('content-length', Buffer.byteLength(body));
  res.end(body);
}

/**
 * An Express error handler that answers the failures of a body parser mounted for the whole
 * app (`app.use(express.json())`) as the token routes' problems (`400 invalid_request` for
 * malformed JSON, 413, 415) instead of Express's HTML error page; every other error goes on to
 * the app's own handlers. Mount it after the parser, on the token routes' paths.
 *
 * @example
 * app.use(express.json());
 * app.all('/tokens', issueTokens({ identify, red5pro }));
 * app.use('/tokens', tokenErrorHandler());
 */
export function tokenErrorHandler() {
  return function roomkeyTokenErrors(
    error: unknown,
    _req: IncomingMessage,
    res: ServerResponse,
    next: (error?: unknown) => void,
  ): void {
    const problem = problemForBodyError(error);
    if (problem === undefined || res.headersSent) return next(error);
    send(res, problem);
  };
}

/**
 * The roomkey token endpoint (`POST /tokens` in DESIGN.md's contract) as an Express 4/5 route
 * handler. Options are checked now; a configuration mistake throws here, at start-up.
 * `identify` and `authorize` receive `req`.
 *
 * @example
 * app.all('/tokens', issueTokens({
 *   identify: (req) => (req.session?.user ? { id: req.session.user.id } : null),
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
 * app.all('/chat-token', issueRed5ChatToken(issuer));
 */
export const issueRed5ChatToken = route('red5-chat');

/**
 * The Red5 WebRTC SDK's cloud endpoint: `POST /config-meetings/api/generate-token {userId,
 * channelId, expirationMinutes}` → `{success: true, token}`. Needs `red5cloud` credentials.
 *
 * @example
 * app.all('/config-meetings/api/generate-token', issueRed5ConferenceToken(issuer));
 */
export const issueRed5ConferenceToken = route('red5-conference');
