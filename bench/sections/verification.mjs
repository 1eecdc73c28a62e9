// 2. Verification: roomkey's Red5 Pro verifier against what users would otherwise write.
import { createRed5ProVerifier } from '@roomkey/core';
import { jwtVerify } from 'jose';
import jsonwebtoken from 'jsonwebtoken';
import { createBenchSigner, ISSUER, SECRET, SIGN_INPUT, TTL_MINUTES } from '../lib/fixtures.mjs';
import { measureThroughput, ratio } from '../lib/harness.mjs';

export const title = '2. HS256 verification';

function contenders(token) {
  const verifier = createRed5ProVerifier({ secret: SECRET, expectedIssuer: ISSUER, ttlMinutes: TTL_MINUTES });
  const secretBytes = new TextEncoder().encode(SECRET);
  const options = { algorithms: ['HS256'], issuer: ISSUER };
  return [
    {
      name: 'roomkey createRed5ProVerifier',
      note: "signature, exp, iss, TTL and the token's role, room and transport",
      op: async () => (await verifier.verify(token, { role: 'publisher', room: 'room1', transport: 'WHIP' })).subject,
    },
    {
      name: 'jose 6 jwtVerify',
      note: 'Uint8Array secret: signature, exp, iss',
      op: async () => (await jwtVerify(token, secretBytes, options)).payload.sub,
    },
    {
      name: 'jsonwebtoken verify',
      note: 'string secret: signature, exp, iss',
      sync: true,
      op: () => jsonwebtoken.verify(token, SECRET, options).sub,
    },
  ];
}

export async function run({ rounds, batchMs, warmupMs }) {
  const { token } = await createBenchSigner().sign(SIGN_INPUT);
  const results = await measureThroughput(contenders(token), { rounds, batchMs, warmupMs });
  const [roomkey, ...others] = results;
  return {
    title,
    unit: 'tokens/s',
    results,
    ratios: others.map((other) => ratio(`roomkey ÷ ${other.name}`, roomkey.opsPerSecond, other.opsPerSecond)),
  };
}
