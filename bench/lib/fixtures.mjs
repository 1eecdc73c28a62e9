// One payload and one secret for every contender: seed 001's Red5 Pro example token.
import { createRed5ProSigner, generateSecret } from '@roomkey/core';

/** A fresh 256-bit secret per run (passed to the HTTP servers through the environment). */
export const SECRET = process.env.ROOMKEY_BENCH_SECRET ?? generateSecret();
export const ISSUER = 'your-issuer';
export const TTL_MINUTES = 60;

/** Seed 001's payload, exactly as its jsonwebtoken example writes it. */
export const PAYLOAD = Object.freeze({
  sub: 'testuser',
  iss: ISSUER,
  name: 'John Doe',
  roles: 'red5-publisher,red5-subscriber',
  'red5-transport': 'WHIP,WHEP',
  'red5-room': 'room1,room2',
  exp: Math.floor(Date.now() / 1000) + TTL_MINUTES * 60,
});

/** The same token through roomkey's signer (which also writes `iat` and a `jti`). */
export const SIGN_INPUT = Object.freeze({
  subject: PAYLOAD.sub,
  name: PAYLOAD.name,
  roles: ['red5-publisher', 'red5-subscriber'],
  transports: ['WHIP', 'WHEP'],
  rooms: ['room1', 'room2'],
});

export function createBenchSigner() {
  return createRed5ProSigner({ secret: SECRET, issuer: ISSUER, maxTtlMinutes: TTL_MINUTES });
}

/** The caller the bench servers' identify callback accepts. */
export const BEARER = 'Bearer bench-user';
