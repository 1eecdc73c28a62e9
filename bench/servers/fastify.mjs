import { issueTokens, tokenRoutes } from '@roomkey/fastify';
import Fastify from 'fastify';
import { announce, RAW_HEADERS, rawTokenAnswer, tokenOptions } from './common.mjs';

const app = Fastify();
// Fastify parses JSON bodies itself, and /bare, /raw and /tokens take the body it parsed:
// /tokens is issueTokens() as a route handler. /plugin/tokens is the tokenRoutes plugin, where
// roomkey reads the raw body itself (its limits and timeout) in a scope of its own.
app.post('/bare', () => ({ ok: true }));
app.post('/raw', (request, reply) => {
  const [status, body] = rawTokenAnswer(request.headers.authorization, request.body);
  return reply.code(status).headers(RAW_HEADERS).send(body);
});
const options = tokenOptions((request) => request.headers.authorization);
app.all('/tokens', issueTokens(options));
await app.register(tokenRoutes(options), { prefix: '/plugin' });
await app.ready();

announce(app.server);
