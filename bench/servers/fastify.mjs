import { issueTokens } from '@roomkey/fastify';
import Fastify from 'fastify';
import { announce, RAW_HEADERS, rawTokenBody, tokenOptions } from './common.mjs';

const app = Fastify();
// Fastify parses JSON bodies itself, and every route here takes the body it parsed: /tokens is
// issueTokens() as a route handler (the tokenRoutes plugin, where roomkey reads the body, is
// measured apart in bench/README.md).
app.post('/bare', () => ({ ok: true }));
app.post('/raw', (request, reply) => reply.headers(RAW_HEADERS).send(rawTokenBody(request.body)));
app.all('/tokens', issueTokens(tokenOptions((request) => request.headers.authorization)));
await app.ready();

announce(app.server);
