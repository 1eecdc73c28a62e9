import { createTokenIssuer, problemResponse } from '@roomkey/core';
import { authorizeDemoUser, createDemoPage, DEMO_COOKIE, identifyDemoUser } from '@roomkey/example-shared';
import { issueLiveKitToken, issueRed5ChatToken, issueRed5ConferenceToken, issueTokens } from '@roomkey/express';
import cookieParser from 'cookie-parser';
import express from 'express';

/**
 * The example token server as an Express app: POST /tokens (Red5 Pro, plus Red5 Cloud and
 * Vonage when configured), the Red5 WebRTC SDK's two routes when Red5 Cloud is configured,
 * LiveKit's token endpoint when LiveKit is, and JSON problems for everything else.
 */
/**
 * `issuer`: platforms (`red5pro`, `red5cloud`, `vonage`/`opentok`) and hardening options
 * (`requireHttps`, `rateLimit`) for `createTokenIssuer`; `trustProxy`: believe X-Forwarded-*
 * (only behind your own proxy); `red5pro`: where the demo page publishes and plays (loadRed5ProMedia).
 */
export function createApp({ issuer: issuerOptions, trustProxy = false, logger, red5pro }) {
  const app = express();
  app.disable('x-powered-by');
  // One proxy in front: the client's address is the one that proxy added, the last listed.
  app.set('trust proxy', trustProxy ? 1 : false);
  app.use(cookieParser());

  // The demo page at / (its files, and the client's browser build at /roomkey-client.js).
  const demoPage = createDemoPage({ red5pro });
  app.use((req, res, next) => {
    const page = demoPage(req.method, req.path);
    return page ? send(res, page) : next();
  });

  // One issuer, one configuration, shared by every route.
  const issuer = createTokenIssuer({
    identify: (req) => identifyDemoUser(req.headers.authorization, req.cookies[DEMO_COOKIE]),
    authorize: authorizeDemoUser,
    ...issuerOptions,
    logger,
  });
  app.all('/tokens', issueTokens(issuer));
  if (issuerOptions.red5cloud) {
    app.all('/chat-token', issueRed5ChatToken(issuer));
    app.all('/config-meetings/api/generate-token', issueRed5ConferenceToken(issuer));
  }
  // LiveKit's standard token endpoint, for its client SDKs' TokenSource.endpoint(url).
  if (issuerOptions.livekit) app.all('/livekit-token', issueLiveKitToken(issuer));

  app.use((_req, res) => send(res, problemResponse('not_found', 'No such route: tokens are at POST /tokens.')));
  // Express's default handler would answer HTML with a stack trace in development.
  app.use((error, _req, res, _next) => {
    logger?.error({ err: error }, 'unexpected error');
    send(res, problemResponse('internal_error', 'The server failed; the error has been logged.'));
  });
  return app;
}

function send(res, { status, headers, body }) {
  res.status(status).set(headers).end(body);
}
