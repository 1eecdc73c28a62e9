import { getConnInfo } from '@hono/node-server/conninfo';
import { problemResponse } from '@roomkey/core';
import { authorizeDemoUser, createDemoPage, DEMO_COOKIE, identifyDemoUser } from '@roomkey/example-shared';
import {
  createTokenIssuer,
  issueLiveKitToken,
  issueRed5ChatToken,
  issueRed5ConferenceToken,
  issueTokens,
} from '@roomkey/fetch';
import { Hono } from 'hono';
import { getCookie } from 'hono/cookie';

/**
 * The example token server as a Hono app (run on Node by @hono/node-server): POST /tokens
 * (Red5 Pro, plus Red5 Cloud and Vonage when configured), the Red5 WebRTC SDK's two routes
 * when Red5 Cloud is configured, and JSON problems for everything else.
 */
/**
 * `issuer`: platforms (`red5pro`, `red5cloud`, `vonage`/`opentok`) and hardening options
 * (`requireHttps`, `rateLimit`) for `createTokenIssuer`; `trustProxy`: believe X-Forwarded-*
 * (only behind your own proxy); `red5pro`: where the demo page publishes and plays (loadRed5ProMedia).
 */
export function createApp({ issuer: issuerOptions, trustProxy = false, logger, red5pro }) {
  const app = new Hono();

  // The demo page at / (its files, and the client's browser build at /roomkey-client.js).
  const demoPage = createDemoPage({ red5pro });
  app.use(async (c, next) => {
    const page = demoPage(c.req.method, c.req.path);
    if (page) return send(page);
    await next();
  });

  // One issuer, one configuration, shared by every route. A Fetch API Request carries no
  // socket: the client's address (rate limits, audit events) and HTTPS come from the options.
  const issuer = createTokenIssuer({
    identify: (_request, c) => identifyDemoUser(c.req.header('authorization'), getCookie(c, DEMO_COOKIE)),
    authorize: authorizeDemoUser,
    clientAddress: (request, c) =>
      (trustProxy ? lastValue(request, 'x-forwarded-for') : undefined) ?? getConnInfo(c).remote.address,
    // Behind the trusted proxy, what it says; else whether this server's own socket is TLS.
    isHttps: (request, c) =>
      trustProxy ? firstValue(request, 'x-forwarded-proto') === 'https' : c.env.incoming.socket.encrypted === true,
    ...issuerOptions,
    logger,
  });
  const mount = (path, handler) => app.all(path, (c) => handler(c.req.raw, c));
  mount('/tokens', issueTokens(issuer));
  if (issuerOptions.red5cloud) {
    mount('/chat-token', issueRed5ChatToken(issuer));
    mount('/config-meetings/api/generate-token', issueRed5ConferenceToken(issuer));
  }
  // LiveKit's standard token endpoint, for its client SDKs' TokenSource.endpoint(url).
  if (issuerOptions.livekit) mount('/livekit-token', issueLiveKitToken(issuer));

  app.notFound(() => send(problemResponse('not_found', 'No such route: tokens are at POST /tokens.')));
  // Hono's default answer would be plain text.
  app.onError((error) => {
    logger?.error({ err: error }, 'unexpected error');
    return send(problemResponse('internal_error', 'The server failed; the error has been logged.'));
  });
  return app;
}

/** A proxy's protocol header as Express and Koa read it: its first value. */
function firstValue(request, name) {
  return request.headers.get(name)?.split(',')[0]?.trim() || undefined;
}

/** The address the one trusted proxy added to X-Forwarded-For: its last value (the others came from the client). */
function lastValue(request, name) {
  return request.headers.get(name)?.split(',').at(-1)?.trim() || undefined;
}

function send({ status, headers, body }) {
  return new Response(body, { status, headers });
}
