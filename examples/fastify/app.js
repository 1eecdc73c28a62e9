import cookie from '@fastify/cookie';
import { problemResponse } from '@roomkey/core';
import { authorizeDemoUser, createDemoPage, DEMO_COOKIE, identifyDemoUser } from '@roomkey/example-shared';
import { tokenErrorHandler, tokenRoutes } from '@roomkey/fastify';
import Fastify from 'fastify';

/**
 * The example token server as a Fastify app: POST /tokens (Red5 Pro, plus Red5 Cloud and
 * Vonage when configured), the Red5 WebRTC SDK's two routes when Red5 Cloud is configured, and
 * JSON problems for everything else.
 */
/**
 * `issuer`: platforms (`red5pro`, `red5cloud`, `vonage`/`opentok`) and hardening options
 * (`requireHttps`, `rateLimit`) for `createTokenIssuer`; `trustProxy`: believe X-Forwarded-*
 * (only behind your own proxy); `red5pro`: where the demo page publishes and plays (loadRed5ProMedia).
 */
export function createApp({ issuer: issuerOptions, trustProxy = false, logger, red5pro }) {
  // roomkey's audit events go to the app's logger: tokenRoutes uses it when its options name none.
  // One proxy in front, the immediate peer: the client's address is the one that proxy added
  // (the last listed), and its X-Forwarded-Proto says HTTPS. (Fastify 5 trusts no header for a
  // bare hop count, so the hop is named by a function.)
  const app = Fastify({ trustProxy: trustProxy ? (_address, hop) => hop === 0 : false, loggerInstance: logger });
  app.register(cookie);

  // One issuer for every route, in a scope where roomkey reads the raw body itself.
  const routes = {
    roomkey: '/tokens',
    ...(issuerOptions.red5cloud && {
      'red5-chat': '/chat-token',
      'red5-conference': '/config-meetings/api/generate-token',
    }),
    // LiveKit's standard token endpoint, for its client SDKs' TokenSource.endpoint(url).
    ...(issuerOptions.livekit && { livekit: '/livekit-token' }),
  };
  app.register(
    tokenRoutes(
      {
        identify: (request) => identifyDemoUser(request.headers.authorization, request.cookies[DEMO_COOKIE]),
        authorize: authorizeDemoUser,
        ...issuerOptions,
      },
      routes,
    ),
  );

  // The demo page at / (its files, and the client's browser build at /roomkey-client.js), and
  // problems for every other route.
  const demoPage = createDemoPage({ red5pro });
  app.setNotFoundHandler((request, reply) => {
    const page = demoPage(request.method, request.url.split('?', 1)[0]);
    send(reply, page ?? problemResponse('not_found', 'No such route: tokens are at POST /tokens.'));
  });
  // Fastify's refusals of a body (malformed JSON sent to an unknown route) as the contract's
  // problems; anything else as a logged 500 problem, not Fastify's default JSON error.
  const bodyErrors = tokenErrorHandler();
  app.setErrorHandler((error, request, reply) => {
    try {
      return bodyErrors(error, request, reply);
    } catch {
      request.log.error({ err: error }, 'unexpected error');
      return send(reply, problemResponse('internal_error', 'The server failed; the error has been logged.'));
    }
  });
  return app;
}

function send(reply, { status, headers, body }) {
  // Bytes: Fastify sends them with the content type as set (a string would gain a charset).
  return reply
    .code(status)
    .headers(headers)
    .send(typeof body === 'string' ? Buffer.from(body) : body);
}
