import type { IncomingMessage } from 'node:http';
import { createTokenIssuer, type TokenIssuerOptions } from '@roomkey/core';

/** What the middleware uses of Koa's `ctx`. */
export interface KoaTokenContext {
  readonly req: IncomingMessage;
  /** `body` is left by `@koa/bodyparser` (or any body parser) when the app mounts one. */
  readonly request: { readonly body?: unknown };
  readonly method: string;
  /** Koa's client address, which honours `app.proxy`. */
  readonly ip: string;
  status: number;
  body: unknown;
  set(fields: Record<string, string>): void;
}

export type IssueTokensOptions<Ctx extends KoaTokenContext = KoaTokenContext> = TokenIssuerOptions<Ctx>;

export type KoaTokenMiddleware<Ctx extends KoaTokenContext = KoaTokenContext> = (
  ctx: Ctx,
  next: () => Promise<unknown>,
) => Promise<void>;

/**
 * The roomkey token endpoint as Koa 2/3 middleware: it answers every request it receives, so
 * mount it on a route. Options are checked now; a configuration mistake throws at start-up.
 * `identify` and `authorize` receive `ctx`.
 *
 * @example
 * router.all('/tokens', issueTokens({
 *   identify: (ctx) => (ctx.state.user ? { id: ctx.state.user.id } : null),
 *   red5pro: { secret: process.env.RED5PRO_JWT_SECRET },
 * }));
 */
export function issueTokens<Ctx extends KoaTokenContext = KoaTokenContext>(
  options: IssueTokensOptions<Ctx>,
): KoaTokenMiddleware<Ctx> {
  const issuer = createTokenIssuer(options);
  return async function roomkeyIssueTokens(ctx) {
    const { status, headers, body } = await issuer.handle({
      method: ctx.method,
      headers: ctx.req.headers,
      stream: ctx.req,
      parsedBody: ctx.request.body,
      ip: ctx.ip,
      native: ctx,
    });
    ctx.status = status;
    ctx.set({ ...headers });
    ctx.body = body;
  };
}
