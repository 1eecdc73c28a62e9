import { createHmac } from 'node:crypto';
import { jwtVerify } from 'jose';
import jwt from 'jsonwebtoken';
import { describe, expect, it } from 'vitest';
import {
  createRed5ProSigner,
  createRed5ProVerifier,
  generateSecret,
  MIN_SECRET_BYTES,
  verifyRed5ProToken,
} from '../src/index.js';
import {
  expectTypeError,
  frozenClock,
  jsonwebtokenToken,
  NOW_S,
  SAMPLE_SECRET,
  SECRET,
  splitToken,
  verifyWithJsonwebtoken,
} from './support/fixtures.js';

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const HOW_TO_GENERATE = /generateSecret|openssl/;

describe('generateSecret', () => {
  it('returns 43 characters of base64url text encoding 32 bytes by default', () => {
    const secret = generateSecret();
    expect(secret).toHaveLength(43);
    expect(secret).toMatch(BASE64URL);
    const bytes = Buffer.from(secret, 'base64url');
    expect(bytes).toHaveLength(32);
    expect(bytes.toString('base64url')).toBe(secret);
  });

  it('returns a different secret on each call', () => {
    const secrets = Array.from({ length: 200 }, () => generateSecret());
    expect(new Set(secrets).size).toBe(200);
  });

  it('does not repeat bytes between calls (no fixed prefix or counter)', () => {
    const first = Buffer.from(generateSecret(), 'base64url');
    const second = Buffer.from(generateSecret(), 'base64url');
    const equalBytes = first.filter((byte, index) => byte === second[index]).length;
    // Two independent 32-byte strings share about 0.125 bytes on average; 8 would be astronomically rare.
    expect(equalBytes).toBeLessThan(8);
  });

  it('returns 86 characters encoding 64 bytes for generateSecret(64)', () => {
    const secret = generateSecret(64);
    expect(secret).toHaveLength(86);
    expect(secret).toMatch(BASE64URL);
    expect(Buffer.from(secret, 'base64url')).toHaveLength(64);
  });

  it('accepts the bounds 32 and 1024', () => {
    expect(Buffer.from(generateSecret(MIN_SECRET_BYTES), 'base64url')).toHaveLength(32);
    expect(Buffer.from(generateSecret(1024), 'base64url')).toHaveLength(1024);
  });

  it('exposes the minimum secret size as 32 bytes', () => {
    expect(MIN_SECRET_BYTES).toBe(32);
  });

  it.each([
    ['0', 0],
    ['16 (too few bytes for HS256)', 16],
    ['31', 31],
    ['a negative count', -32],
    ['a fraction', 32.5],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['more than 1024', 1025],
    ['a numeric string', '32' as unknown as number],
  ])('throws a TypeError for a byte count of %s', async (_label, bytes) => {
    await expectTypeError(() => generateSecret(bytes), /bytes must be an integer from 32 to 1024/);
  });
});

/** 16 different Latin-1 letters of two UTF-8 bytes each: 32 bytes, no repeated pattern. */
const TWO_BYTE_16 = 'éèêëàâäôöûüçîïùÿ';

describe('secret checks when a signer or verifier is created', () => {
  const shortSecret = 'x'.repeat(31);
  const weak: [string, unknown][] = [
    ['31 bytes', shortSecret],
    ['an empty string', ''],
    ["the seeds' sample secret", SAMPLE_SECRET],
    ['undefined', undefined],
    ['a number', 42],
    ['a Buffer of 32 bytes (not a string)', Buffer.alloc(32, 7)],
    ['null', null],
    ['one character repeated (40 a)', 'a'.repeat(40)],
    ['a short pattern repeated', 'abc1'.repeat(10)],
    ['16 characters repeated twice', '0123456789abcdef'.repeat(2)],
    ['a pattern with its last repetition cut short', `${'passw0rd'.repeat(4)}pass`],
  ];

  it.each(weak)(
    'refuses a signer secret that is %s with a TypeError that says how to generate one',
    async (_label, secret) => {
      const error = await expectTypeError(() => createRed5ProSigner({ secret: secret as string }), HOW_TO_GENERATE);
      if (typeof secret === 'string' && secret.length > 0) expect(error.message).not.toContain(secret);
      expect(error.message).toMatch(/^secret /);
    },
  );

  // An undefined verifier secret means "neither secret nor secrets": red5pro-verify.test.ts covers it.
  it.each(weak.filter(([, secret]) => secret !== undefined))(
    'refuses a verifier secret that is %s with a TypeError that says how to generate one',
    async (_label, secret) => {
      const error = await expectTypeError(() => createRed5ProVerifier({ secret: secret as string }), HOW_TO_GENERATE);
      if (typeof secret === 'string' && secret.length > 0) expect(error.message).not.toContain(secret);
    },
  );

  it('names the offending entry when one of several verifier secrets is weak', async () => {
    const error = await expectTypeError(
      () => createRed5ProVerifier({ secrets: [SECRET, shortSecret] }),
      /secrets\[1\] is too short: 31 bytes/,
    );
    expect(error.message).not.toContain(shortSecret);
    expect(error.message).not.toContain(SECRET);
  });

  it('refuses a weak secret in the one-shot verifyRed5ProToken before looking at the token', async () => {
    await expectTypeError(() => verifyRed5ProToken('not-even-a-token', { secret: SAMPLE_SECRET }), HOW_TO_GENERATE);
  });

  it('accepts text that repeats a unit longer than 16 characters, and phrases with repeated words', () => {
    expect(() => createRed5ProSigner({ secret: '0123456789abcdefg'.repeat(2) })).not.toThrow();
    expect(() => createRed5ProSigner({ secret: 'correct horse battery staple horse battery' })).not.toThrow();
  });

  it('accepts a secret of exactly 32 ASCII bytes', () => {
    expect(createRed5ProSigner({ secret: 'abcdefghijklmnopqrstuvwxyz012345' }).maxTtlSeconds).toBe(3570);
    expect(() => createRed5ProVerifier({ secret: 'abcdefghijklmnopqrstuvwxyz012345' })).not.toThrow();
  });

  it("counts UTF-8 bytes, not characters: 11 'é' (22 bytes) are refused", async () => {
    const error = await expectTypeError(() => createRed5ProSigner({ secret: 'é'.repeat(11) }), /22 bytes/);
    expect(error.message).not.toContain('é');
  });

  it('counts UTF-8 bytes, not characters: 16 accented letters (16 characters, 32 bytes) are accepted', () => {
    expect(() => createRed5ProSigner({ secret: TWO_BYTE_16 })).not.toThrow();
    expect(() => createRed5ProVerifier({ secret: TWO_BYTE_16 })).not.toThrow();
  });

  it('refuses 7 four-byte emoji (28 bytes) and accepts 8 (32 bytes)', async () => {
    await expectTypeError(() => createRed5ProSigner({ secret: '😀'.repeat(7) }), /28 bytes/);
    expect(() => createRed5ProSigner({ secret: '😀😁😂😃😄😅😆😇' })).not.toThrow();
  });
});

describe('the HMAC key is the UTF-8 bytes of the secret string', () => {
  it('signs tokens that jsonwebtoken verifies with the same secret string', async () => {
    const signer = createRed5ProSigner({ secret: SECRET, clock: frozenClock() });
    const { token } = await signer.sign({ roles: 'any', transports: 'any', rooms: 'any', subject: 'alice' });
    expect(verifyWithJsonwebtoken(token, SECRET)).toMatchObject({ sub: 'alice' });
  });

  it('does not base64-decode a base64url-looking secret: the decoded bytes do not verify', async () => {
    const signer = createRed5ProSigner({ secret: SECRET, clock: frozenClock() });
    const { token } = await signer.sign({ roles: 'any', transports: 'any', rooms: 'any', subject: 'alice' });
    const decoded = Buffer.from(SECRET, 'base64url');
    expect(decoded).toHaveLength(32);
    expect(() => verifyWithJsonwebtoken(token, decoded)).toThrow(jwt.JsonWebTokenError);
    expect(() => verifyWithJsonwebtoken(token, decoded)).toThrow('invalid signature');
  });

  it('matches an HMAC-SHA256 computed independently over the UTF-8 bytes', async () => {
    const signer = createRed5ProSigner({ secret: SECRET, clock: frozenClock() });
    const { token } = await signer.sign({ roles: 'any', transports: 'any', rooms: 'any', subject: 'alice' });
    const [header, payload, signature] = splitToken(token);
    const expected = createHmac('sha256', Buffer.from(SECRET, 'utf8')).update(`${header}.${payload}`).digest();
    expect(Buffer.from(signature, 'base64url').equals(expected)).toBe(true);
  });

  it('uses UTF-8 (not Latin-1) for a secret of multi-byte characters, as jsonwebtoken and jose do', async () => {
    const secret = TWO_BYTE_16;
    const signer = createRed5ProSigner({ secret, clock: frozenClock() });
    const { token } = await signer.sign({ roles: 'any', transports: 'any', rooms: 'any', subject: 'alice' });
    expect(verifyWithJsonwebtoken(token, secret)).toMatchObject({ sub: 'alice' });
    const { payload } = await jwtVerify(token, new TextEncoder().encode(secret), {
      algorithms: ['HS256'],
      currentDate: new Date(NOW_S * 1000),
    });
    expect(payload.sub).toBe('alice');
    expect(() => verifyWithJsonwebtoken(token, Buffer.from(secret, 'latin1'))).toThrow('invalid signature');
  });

  it('never trims the secret: surrounding spaces are part of the key', async () => {
    const padded = ` ${SECRET} `;
    const signer = createRed5ProSigner({ secret: padded, clock: frozenClock() });
    const { token } = await signer.sign({ roles: 'any', transports: 'any', rooms: 'any', subject: 'alice' });
    expect(verifyWithJsonwebtoken(token, padded).sub).toBe('alice');
    expect(() => verifyWithJsonwebtoken(token, SECRET)).toThrow('invalid signature');
  });

  it('verifies a jsonwebtoken token signed with the same multi-byte secret string', async () => {
    const secret = TWO_BYTE_16;
    const token = jsonwebtokenToken({ sub: 'bob', exp: NOW_S + 600 }, secret);
    const verified = await createRed5ProVerifier({ secret, clock: frozenClock() }).verify(token);
    expect(verified.subject).toBe('bob');
  });
});
