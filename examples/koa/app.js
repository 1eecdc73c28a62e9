import Router from '@koa/router';
import { problemResponse } from '@roomkey/core';
import { authorizeDemoUser, identifyDemoUser } from '@roomkey/example-shared';
import { issueTokens } from '@roomkey/koa';
import Koa from 'koa';

/** The example token server (Red5 Pro, and Vonage when configured) as a Koa app: POST /tokens, JSON problems for everything else. */
export function createApp({ platforms, logger }) {
  const app = new Koa();
  app.silent = true; // errors are logged below, as JSON, never as a stack on stderr
  app.on('error', (error) => logger?.error({ err: error }, 'unexpected error'));

  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      ctx.app.emit('error', error, ctx);
      send(ctx, problemResponse('internal_error', 'The server failed; the error has been logged.'));
    }
  });

  const router = new Router();
  router.all(
    '/tokens',
    issueTokens({
      identify: (ctx) => identifyDemoUser(ctx.get('authorization')),
      authorize: authorizeDemoUser,
      ...platforms,
      logger,
    }),
  );
  app.use(router.routes());
  app.use((ctx) => send(ctx, problemResponse('not_found', 'No such route: tokens are at POST /tokens.')));
  return app;
}

function send(ctx, { status, headers, body }) {
  ctx.status = status;
  ctx.set(headers);
  ctx.body = body;
}
