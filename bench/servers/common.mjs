// What both bench servers share. Each serves three routes to the same request:
//   POST /bare    a small JSON body, nothing else;
//   POST /raw     the same work as /tokens written by hand, as issue 19's harness has it: the
//                 bearer lookup (the Authorization header compared with the expected one, 401
//                 otherwise), the room check (a valid room name, granted: 400 otherwise), one
//                 HS256 token signed with raw createHmac, with the claims roomkey writes (iat and
//                 a random jti included), the same JSON and the same response headers, so both
//                 routes answer the same bytes but for the ids. None of roomkey's other checks
//                 (the request's shape and fields, the identity's form, the role lattice, the
//                 signer's claim checks, the body's limits): that is the handler's overhead;
//   POST /tokens  roomkey's issueTokens() issuing one Red5 Pro token.
// run.mjs passes the secret in the environment.
import { createHmac, createSecretKey, randomUUID } from 'node:crypto';
import { BEARER, ISSUER, SECRET, TTL_MINUTES } from '../lib/fixtures.mjs';

/** issueTokens() options: a trivial identify callback and a grant of any room, as publisher. */
export const tokenOptions = (authorizationOf) => ({
  identify: (native) => (authorizationOf(native) === BEARER ? { id: 'testuser' } : null),
  authorize: () => ({ role: 'publisher', rooms: 'any', transports: 'any', name: 'John Doe' }),
  red5pro: { secret: SECRET, issuer: ISSUER, maxTtlMinutes: TTL_MINUTES },
});

export const RAW_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };
const ROOM = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const UNAUTHENTICATED = JSON.stringify({ title: 'Unauthenticated', status: 401 });
const BAD_ROOM = JSON.stringify({ title: 'Invalid room', status: 400 });
const key = createSecretKey(Buffer.from(SECRET, 'utf8'));
const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

/**
 * The /raw route's work, given the Node request: `[status, body]`, the success body as
 * roomkey's would look. The bearer is looked up before the body is read, as a framework's auth
 * middleware would.
 */
export async function rawTokenResponse(req) {
  if (req.headers.authorization !== BEARER) return [401, UNAUTHENTICATED];
  return rawTokenAnswer(BEARER, await readJson(req));
}

/** The /raw route's work once a framework has parsed the body (Fastify): `[status, body]`. */
export function rawTokenAnswer(authorization, request) {
  if (authorization !== BEARER) return [401, UNAUTHENTICATED];
  const room = request?.room;
  if (typeof room !== 'string' || !ROOM.test(room)) return [400, BAD_ROOM];
  return [200, rawTokenBody(room, request.transports)];
}

function readJson(req) {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => {
      text += chunk;
    });
    req.on('end', () => resolve(JSON.parse(text)));
    req.on('error', reject);
  });
}

function rawTokenBody(room, transports) {
  const iat = Math.floor(Date.now() / 1000);
  const exp = iat + TTL_MINUTES * 60 - 30;
  const payload = {
    sub: 'testuser',
    iss: ISSUER,
    name: 'John Doe',
    roles: 'red5-publisher,red5-subscriber',
    'red5-transport': transports.join(','),
    'red5-room': room,
    exp,
    iat,
    jti: randomUUID(),
  };
  const input = `${header}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  const token = `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
  const expiresAt = new Date(exp * 1000).toISOString();
  return JSON.stringify({ identity: 'testuser', role: 'publisher', tokens: { red5pro: { token, expiresAt } } });
}

/** Listens on an ephemeral loopback port and prints it as one JSON line for the parent. */
export function announce(server) {
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
  });
}
