// What both bench servers share. Each serves three routes to the same request:
//   POST /bare    a small JSON body, nothing else;
//   POST /raw     the limit for a token route: reads the JSON body and signs one HS256 token with
//                 raw createHmac, with no checks at all (what nobody should ship, as a yardstick),
//                 with the claims roomkey writes (iat and a random jti included) and the same
//                 response headers, so both routes answer the same bytes but for the ids;
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
const key = createSecretKey(Buffer.from(SECRET, 'utf8'));
const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

/** The /raw route's work, given the Node request: the response body, as roomkey's would look. */
export async function rawTokenResponse(req) {
  return rawTokenBody(await readJson(req));
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

/** The /raw route's work once a framework has parsed the body: the response body. */
export function rawTokenBody(request) {
  const iat = Math.floor(Date.now() / 1000);
  const exp = iat + TTL_MINUTES * 60 - 30;
  const payload = {
    sub: 'testuser',
    iss: ISSUER,
    name: 'John Doe',
    roles: 'red5-publisher,red5-subscriber',
    'red5-transport': request.transports.join(','),
    'red5-room': request.room,
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
