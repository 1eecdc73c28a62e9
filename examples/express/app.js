import { problemResponse } from '@roomkey/core';
import { authorizeDemoUser, identifyDemoUser } from '@roomkey/example-shared';
import { issueTokens } from '@roomkey/express';
import express from 'express';

/** The example token server (Red5 Pro, and Vonage when configured) as an Express app: POST /tokens, JSON problems for everything else. */
export function createApp({ platforms, logger }) {
  const app = express();
  app.disable('x-powered-by');

  app.all(
    '/tokens',
    issueTokens({
      identify: (req) => identifyDemoUser(req.headers.authorization),
      authorize: authorizeDemoUser,
      ...platforms,
      logger,
    }),
  );

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
