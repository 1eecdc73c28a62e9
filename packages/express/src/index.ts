import type { IncomingMessage, ServerResponse } from 'node:http';
import { createTokenIssuer, type TokenIssuerOptions } from '@roomkey/core';

/** What the handler reads from Express's `req`: the Node request plus `body` and `ip`. */
export interface ExpressTokenRequest extends IncomingMessage {
  /** Left by `express.json()` (or any body parser) when the app mounts one. */
  body?: unknown;
  /** Express's client address, which honours the app's `trust proxy` setting. */
  ip?: string | undefined;
}

export type IssueTokensOptions<Req extends ExpressTokenRequest = ExpressTokenRequest> = TokenIssuerOptions<Req>;

export type ExpressTokenHandler<Req extends ExpressTokenRequest = ExpressTokenRequest> = (
  req: Req,
  res: ServerResponse,
  next: (error?: unknown) => void,
) => Promise<void>;

/**
 * The roomkey token endpoint as an Express 4/5 route handler. Options are checked now; a
 * configuration mistake throws here, at start-up. `identify` and `authorize` receive `req`.
 *
 * @example
 * app.all('/tokens', issueTokens({
 *   identify: (req) => (req.session?.user ? { id: req.session.user.id } : null),
 *   red5pro: { secret: process.env.RED5PRO_JWT_SECRET },
 * }));
 */
export function issueTokens<Req extends ExpressTokenRequest = ExpressTokenRequest>(
  options: IssueTokensOptions<Req>,
): ExpressTokenHandler<Req> {
  const issuer = createTokenIssuer(options);
  return async function roomkeyIssueTokens(req, res, next) {
    try {
      const { status, headers, body } = await issuer.handle({
        method: req.method ?? '',
        headers: req.headers,
        stream: req,
        parsedBody: req.body,
        ip: req.ip,
        native: req,
      });
      res.statusCode = status;
      for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
      res.setHeader('content-length', Buffer.byteLength(body));
      res.end(body);
    } catch (error) {
      next(error);
    }
  };
}
