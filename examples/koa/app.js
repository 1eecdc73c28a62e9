import Router from '@koa/router';
import { createTokenIssuer, problemResponse } from '@roomkey/core';
import { authorizeDemoUser, createDemoPage, DEMO_COOKIE, identifyDemoUser } from '@roomkey/example-shared';
import { issueLiveKitToken, issueRed5ChatToken, issueRed5ConferenceToken, issueTokens } from '@roomkey/koa';
import Koa from 'koa';

/**
 * The example token server as a Koa app: POST /tokens (Red5 Pro, plus Red5 Cloud and Vonage
 * when configured), the Red5 WebRTC SDK's two routes when Red5 Cloud is configured, and JSON
 * problems for everything else.
 */
/**
 * `issuer`: platforms (`red5pro`, `red5cloud`, `vonage`/`opentok`) and hardening options
 * (`requireHttps`, `rateLimit`) for `createTokenIssuer`; `trustProxy`: believe X-Forwarded-*
 * (only behind your own proxy); `red5pro`: where the demo page publishes and plays (loadRed5ProMedia).
 */
export function createApp({ issuer: issuerOptions, trustProxy = false, logger, red5pro }) {
  const app = new Koa();
  app.silent = true; // errors are logged below, as JSON, never as a stack on stderr
  app.proxy = trustProxy;
  // One proxy in front: the client's address is the one that proxy added, the last listed.
  app.maxIpsCount = 1;
  app.on('error', (error) => logger?.error({ err: error }, 'unexpected error'));

  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      ctx.app.emit('error', error, ctx);
      send(ctx, problemResponse('internal_error', 'The server failed; the error has been logged.'));
    }
  });

  // The demo page at / (its files, and the client's browser build at /roomkey-client.js).
  const demoPage = createDemoPage({ red5pro });
  app.use((ctx, next) => {
    const page = demoPage(ctx.method, ctx.path);
    return page ? send(ctx, page) : next();
  });

  // One issuer, one configuration, shared by every route.
  const issuer = createTokenIssuer({
    identify: (ctx) => identifyDemoUser(ctx.get('authorization'), ctx.cookies.get(DEMO_COOKIE)),
    authorize: authorizeDemoUser,
    ...issuerOptions,
    logger,
  });
  const router = new Router();
  router.all('/tokens', issueTokens(issuer));
  if (issuerOptions.red5cloud) {
    router.all('/chat-token', issueRed5ChatToken(issuer));
    router.all('/config-meetings/api/generate-token', issueRed5ConferenceToken(issuer));
  }
  // LiveKit's standard token endpoint, for its client SDKs' TokenSource.endpoint(url).
  if (issuerOptions.livekit) router.all('/livekit-token', issueLiveKitToken(issuer));
  app.use(router.routes());
  app.use((ctx) => send(ctx, problemResponse('not_found', 'No such route: tokens are at POST /tokens.')));
  return app;
}

function send(ctx, { status, headers, body }) {
  ctx.status = status;
  ctx.set(headers);
  ctx.body = body;
}
