import { tokenRoutes } from '@roomkey/fastify';
import Fastify from 'fastify';
import { announce, RAW_HEADERS, rawTokenBody, tokenOptions } from './common.mjs';

const app = Fastify();
// Fastify parses JSON bodies itself: /bare and /raw take the body it parsed.
app.post('/bare', () => ({ ok: true }));
app.post('/raw', (request, reply) => reply.headers(RAW_HEADERS).send(rawTokenBody(request.body)));
// tokenRoutes: roomkey reads the body itself (16 KiB, 10 s), in a scope of its own.
app.register(tokenRoutes(tokenOptions((request) => request.headers.authorization)));
await app.ready();

announce(app.server);
