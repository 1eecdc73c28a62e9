import { createRequire } from 'node:module';
import { decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import jwt from 'jsonwebtoken';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createOpenTokSigner, RoomkeyError } from '../src/index.js';
import { frozenClock, UUID } from './support/fixtures.js';
import { API_KEY, API_SECRET, sessionIdFor } from './support/vonage.js';

const require = createRequire(import.meta.url);
// opentok is CommonJS; its T1 helpers ship inside opentok-token.
const OpenTok = require('opentok') as new (
  key: string,
  secret: string,
) => { generateToken(sessionId: string, options?: object, t1?: boolean): string };
const t1Helpers = require(require.resolve('opentok-token/helpers', { paths: [require.resolve('opentok')] })) as {
  decodeToken(token: string): Record<string, string>;
  verifyTokenSignature(token: string, secret: string): boolean;
};

const NOW_S = Math.floor(Date.now() / 1000);
const NOW_MS = NOW_S * 1000;
const sessionId = sessionIdFor(API_KEY);
const signer = () => createOpenTokSigner({ apiKey: API_KEY, apiSecret: API_SECRET, clock: frozenClock(NOW_MS) });

function theirToken(options: object, t1 = false): string {
  vi.useFakeTimers({ now: NOW_MS, toFake: ['Date'] });
  try {
    return new OpenTok(API_KEY, API_SECRET).generateToken(sessionId, options, t1);
  } finally {
    vi.useRealTimers();
  }
}

afterEach(() => {
  vi.useRealTimers();
});

describe('OpenTok signer: the HS256 JWT current opentok emits', () => {
  it.each([
    ['a publisher with defaults', { role: 'publisher' }, { role: 'publisher' }],
    [
      'a moderator with data, layout and an expiry',
      { role: 'moderator', data: 'name=ann', initialLayoutClassList: ['focus'], expireTime: NOW_S + 900 },
      { role: 'moderator', data: 'name=ann', initialLayoutClassList: ['focus'], expireTime: NOW_S + 900 },
    ],
    ['a publisher-only token', { role: 'publisher-only' }, { role: 'publisheronly' }],
  ] as const)('%s: claims equal opentok’s but for nonce and jti', async (_name, input, options) => {
    const ours = await signer().sign({ sessionId, ...input });
    const theirs = theirToken(options);
    const { nonce: ourNonce, jti, ...ourClaims } = decodeJwt(ours.token);
    const { nonce: theirNonce, ...theirClaims } = decodeJwt(theirs);
    expect(ourClaims).toEqual(theirClaims);
    expect(decodeProtectedHeader(ours.token)).toEqual(decodeProtectedHeader(theirs));
    expect(typeof ourNonce).toBe('number');
    expect(typeof theirNonce).toBe('number');
    expect(jti).toMatch(UUID);
    expect(jwt.verify(ours.token, API_SECRET, { algorithms: ['HS256'] })).toMatchObject({
      iss: API_KEY,
      ist: 'project',
    });
    await jwtVerify(ours.token, new TextEncoder().encode(API_SECRET), { algorithms: ['HS256'] });
  });
});

describe('OpenTok signer: the legacy T1 format', () => {
  it('is verified by opentok’s own T1 helper and decodes to the same fields as opentok’s', async () => {
    const ours = await signer().sign({ sessionId, role: 'subscriber', data: 'a=b&c', ttlSeconds: 3600, format: 't1' });
    const theirs = theirToken({ role: 'subscriber', data: 'a=b&c', expireTime: NOW_S + 3600 }, true);
    expect(ours.token.startsWith('T1==')).toBe(true);
    expect(t1Helpers.verifyTokenSignature(ours.token, API_SECRET)).toBe(true);
    expect(t1Helpers.verifyTokenSignature(ours.token, `${API_SECRET}x`)).toBe(false);
    const { nonce: ourNonce, sig: ourSig, ...ourFields } = t1Helpers.decodeToken(ours.token);
    const { nonce: theirNonce, sig: theirSig, ...theirFields } = t1Helpers.decodeToken(theirs);
    expect(ourFields).toEqual(theirFields);
    expect(ourFields).toMatchObject({ partner_id: API_KEY, role: 'subscriber', connection_data: 'a=b&c' });
    expect(ourNonce).toMatch(/^\d+$/);
    expect(ourSig).toMatch(/^[0-9a-f]{40}$/);
  });
});

describe('OpenTok signer: checks', () => {
  it('refuses a session id that belongs to another API key, where opentok refuses too', async () => {
    const foreign = sessionIdFor('99999999');
    expect(() => new OpenTok(API_KEY, API_SECRET).generateToken(foreign, { role: 'publisher' }, true)).toThrow(
      /belongs to the API Key/,
    );
    await expect(signer().sign({ sessionId: foreign, role: 'publisher' })).rejects.toMatchObject({
      code: 'invalid_claim',
    });
  });

  it.each([
    ['a past expiry', { role: 'publisher', expireTime: NOW_S - 10 }],
    ['an unknown role', { role: 'owner' }],
    ['data over 1000 characters', { role: 'publisher', data: 'x'.repeat(1001) }],
    ['an unknown format', { role: 'publisher', format: 'T2' }],
  ])('refuses %s with invalid_claim', async (_name, input) => {
    const error = await signer()
      .sign({ sessionId, ...input } as never)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RoomkeyError);
    expect((error as RoomkeyError).code).toBe('invalid_claim');
  });

  it('refuses an API key that is not digits and a short secret at creation, without echoing the secret', () => {
    expect(() => createOpenTokSigner({ apiKey: 'key', apiSecret: API_SECRET })).toThrow(TypeError);
    let message = '';
    try {
      createOpenTokSigner({ apiKey: API_KEY, apiSecret: 'tooshortsecret' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/apiSecret/);
    expect(message).not.toContain('tooshortsecret');
  });
});
