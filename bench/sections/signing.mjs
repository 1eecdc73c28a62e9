// 1. HS256 signing: tokens per second for the same Red5 Pro payload.
import { createHmac, createSecretKey } from 'node:crypto';
import { createSigner } from 'fast-jwt';
import { jwtVerify, SignJWT } from 'jose';
import jsonwebtoken from 'jsonwebtoken';
import { AccessToken } from 'livekit-server-sdk';
import { createBenchSigner, PAYLOAD, SECRET, SIGN_INPUT } from '../lib/fixtures.mjs';
import { measureThroughput, ratio } from '../lib/harness.mjs';

export const title = '1. HS256 signing';

function contenders() {
  const key = createSecretKey(Buffer.from(SECRET, 'utf8'));
  const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
  const secretBytes = new TextEncoder().encode(SECRET);
  const signer = createBenchSigner();
  const fastJwtSign = createSigner({ key: SECRET, algorithm: 'HS256' });

  return [
    {
      name: 'raw node:crypto createHmac',
      note: 'the limit: pre-encoded header, KeyObject, one HMAC per token',
      sync: true,
      op() {
        const input = `${header}.${Buffer.from(JSON.stringify(PAYLOAD)).toString('base64url')}`;
        return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
      },
    },
    {
      name: 'roomkey createRed5ProSigner',
      note: 'validates the claims, writes iat and a random jti too',
      op: async () => (await signer.sign(SIGN_INPUT)).token,
    },
    {
      name: 'jose 6 SignJWT',
      note: 'Uint8Array secret, WebCrypto',
      op: () => new SignJWT(PAYLOAD).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(secretBytes),
    },
    {
      name: 'jsonwebtoken sign',
      note: "seed 001's example: string secret (adds iat)",
      sync: true,
      op: () => jsonwebtoken.sign(PAYLOAD, SECRET, { algorithm: 'HS256' }),
    },
    {
      name: 'fast-jwt createSigner',
      note: 'signer created once (adds iat)',
      sync: true,
      op: () => fastJwtSign(PAYLOAD),
    },
    {
      name: 'livekit-server-sdk AccessToken',
      note: "LiveKit's own claims for the same user and room grant",
      op() {
        const token = new AccessToken('APIbench', SECRET, { identity: PAYLOAD.sub, name: PAYLOAD.name, ttl: '1h' });
        token.addGrant({ roomJoin: true, room: 'room1', canPublish: true, canSubscribe: true });
        return token.toJwt();
      },
    },
  ];
}

/** Every contender must produce a token that verifies with the shared secret before it is timed. */
async function checkTokens(list) {
  const key = new TextEncoder().encode(SECRET);
  for (const contender of list) {
    const token = await contender.op();
    const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'] });
    if (payload.sub !== PAYLOAD.sub) throw new Error(`${contender.name} signed an unexpected payload`);
  }
}

export async function run({ rounds, batchMs, warmupMs }) {
  const list = contenders();
  await checkTokens(list);
  const results = await measureThroughput(list, { rounds, batchMs, warmupMs });
  const [raw, roomkey] = results;
  return {
    title,
    unit: 'tokens/s',
    results,
    ratios: [
      ratio('roomkey HS256 signing ÷ raw createHmac', roomkey.opsPerSecond, raw.opsPerSecond, 0.7),
      ...results.slice(2).map((other) => ratio(`roomkey ÷ ${other.name}`, roomkey.opsPerSecond, other.opsPerSecond)),
    ],
  };
}
