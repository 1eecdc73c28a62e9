import { exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import jwt from 'jsonwebtoken';
import { describe, expect, it } from 'vitest';
import { createRed5ProSigner, createRed5ProVerifier, isRoomkeyError, RoomkeyError } from '../src/index.js';
import {
  caughtErrors,
  expectNoLeak,
  expectRoomkeyError,
  expectTypeError,
  frozenClock,
  hmacSegment,
  makeSigner,
  makeVerifier,
  NOW_MS,
  NOW_S,
  OTHER_SECRET,
  SECRET,
  segment,
  splitToken,
  verifyWithJsonwebtoken,
} from './support/fixtures.js';

/** Every token and secret-like value made in this file: none may show up in any error. */
const sensitive: string[] = [SECRET, OTHER_SECRET];

const signer = makeSigner();
const verifier = makeVerifier();

async function validToken(): Promise<{ token: string; header: string; payload: string; signature: string }> {
  const { token } = await signer.sign({
    subject: 'alice',
    roles: ['red5-subscriber'],
    transports: ['WHEP'],
    rooms: ['room1'],
  });
  sensitive.push(token);
  const [header, payload, signature] = splitToken(token);
  return { token, header, payload, signature };
}

/** Expects the verifier to refuse `token` with signature_invalid (and remembers the token). */
async function expectForgeryRejected(token: string): Promise<void> {
  sensitive.push(token);
  await expectRoomkeyError(() => verifier.verify(token), 'signature_invalid');
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

describe('algorithm confusion', () => {
  it.each(['RS256', 'none', 'None', 'NONE', 'HS384', 'HS512', 'hs256', 'ES256', 'PS256', 'EdDSA'])(
    'rejects an HS256 token whose header is swapped to alg %s',
    async (alg) => {
      const { payload, signature } = await validToken();
      await expectForgeryRejected(`${segment({ alg, typ: 'JWT' })}.${payload}.${signature}`);
    },
  );

  it('rejects a swapped alg "none" header with the signature removed', async () => {
    const { payload } = await validToken();
    await expectForgeryRejected(`${segment({ alg: 'none', typ: 'JWT' })}.${payload}.`);
  });

  it('rejects a token HMAC-signed with the secret under header alg HS512 (that jose itself accepts as HS512)', async () => {
    const signingInput = `${segment({ alg: 'HS512', typ: 'JWT' })}.${segment({ sub: 'mallory', exp: NOW_S + 600 })}`;
    const token = `${signingInput}.${hmacSegment(signingInput, SECRET, 'sha512')}`;
    // The token is a genuine HS512 token: only the algorithm policy can refuse it.
    const { payload } = await jwtVerify(token, new TextEncoder().encode(SECRET), {
      algorithms: ['HS512'],
      currentDate: new Date(NOW_MS),
    });
    expect(payload.sub).toBe('mallory');
    await expectForgeryRejected(token);
  });

  it('rejects header alg HS512 over an HMAC-SHA256 signature', async () => {
    const signingInput = `${segment({ alg: 'HS512', typ: 'JWT' })}.${segment({ sub: 'mallory', exp: NOW_S + 600 })}`;
    await expectForgeryRejected(`${signingInput}.${hmacSegment(signingInput, SECRET)}`);
  });

  it('rejects header alg HS256 over an HMAC-SHA512 signature', async () => {
    const signingInput = `${segment({ alg: 'HS256', typ: 'JWT' })}.${segment({ sub: 'mallory', exp: NOW_S + 600 })}`;
    await expectForgeryRejected(`${signingInput}.${hmacSegment(signingInput, SECRET, 'sha512')}`);
  });

  it('rejects header alg RS256 over an HMAC-SHA256 signature keyed with the secret', async () => {
    const signingInput = `${segment({ alg: 'RS256', typ: 'JWT' })}.${segment({ sub: 'mallory', exp: NOW_S + 600 })}`;
    await expectForgeryRejected(`${signingInput}.${hmacSegment(signingInput, SECRET)}`);
  });

  it('rejects a genuine RS256 token whose header names an embedded public key', async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
    const token = await new SignJWT({ sub: 'mallory' })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', jwk: await exportJWK(publicKey) })
      .setExpirationTime(NOW_S + 600)
      .sign(privateKey);
    await expectForgeryRejected(token);
  });

  it('ignores a kid or jku in the header: the configured secret is the only key', async () => {
    const header = { alg: 'HS256', typ: 'JWT', kid: 'attacker', jku: 'https://attacker.example/keys' };
    const signingInput = `${segment(header)}.${segment({ sub: 'mallory', exp: NOW_S + 600 })}`;
    await expectForgeryRejected(`${signingInput}.${hmacSegment(signingInput, OTHER_SECRET)}`);
  });

  it('rejects a header without alg, even when HMAC-signed with the secret', async () => {
    const signingInput = `${segment({ typ: 'JWT' })}.${segment({ sub: 'mallory', exp: NOW_S + 600 })}`;
    const token = `${signingInput}.${hmacSegment(signingInput, SECRET)}`;
    sensitive.push(token);
    await expectRoomkeyError(() => verifier.verify(token), 'malformed');
  });

  it('rejects a token signed with an empty HMAC key', async () => {
    const signingInput = `${segment({ alg: 'HS256', typ: 'JWT' })}.${segment({ sub: 'mallory', exp: NOW_S + 600 })}`;
    await expectForgeryRejected(`${signingInput}.${hmacSegment(signingInput, '')}`);
  });
});

describe('signature tampering', () => {
  it('rejects a flipped bit in each of the 32 signature bytes (as jsonwebtoken does)', async () => {
    const { header, payload, signature } = await validToken();
    const bytes = Buffer.from(signature, 'base64url');
    expect(bytes).toHaveLength(32);
    for (let index = 0; index < bytes.length; index++) {
      for (const mask of [0x01, 0x80]) {
        const altered = Buffer.from(bytes);
        altered[index] = (altered[index] as number) ^ mask;
        const token = `${header}.${payload}.${altered.toString('base64url')}`;
        await expectForgeryRejected(token);
        expect(() => verifyWithJsonwebtoken(token)).toThrow('invalid signature');
      }
    }
  });

  it('rejects a changed character at each position of the signature segment', async () => {
    const { header, payload, signature } = await validToken();
    expect(signature).toHaveLength(43);
    for (let index = 0; index < signature.length; index++) {
      // Flipping the high bit of the character's 6-bit value changes a bit that carries data.
      const value = ALPHABET.indexOf(signature[index] as string);
      const replaced = ALPHABET[value ^ 0b100000] as string;
      await expectForgeryRejected(
        `${header}.${payload}.${signature.slice(0, index)}${replaced}${signature.slice(index + 1)}`,
      );
    }
  });

  it('rejects every other spelling of the same signature bytes (unused low bits, padding)', async () => {
    const { header, payload, signature } = await validToken();
    const last = ALPHABET.indexOf(signature.at(-1) as string);
    // 32 bytes fill 42 characters and 4 bits of the 43rd: its low 2 bits carry nothing.
    for (const spare of [1, 2, 3]) {
      const variant = `${signature.slice(0, -1)}${ALPHABET[last ^ spare]}`;
      expect(Buffer.from(variant, 'base64url').equals(Buffer.from(signature, 'base64url'))).toBe(true);
      const token = `${header}.${payload}.${variant}`;
      await expectForgeryRejected(token);
      expect(() => verifyWithJsonwebtoken(token)).toThrow('invalid signature');
    }
    await expectForgeryRejected(`${header}.${payload}.${signature}=`);
    expect((await verifier.verify(`${header}.${payload}.${signature}`)).subject).toBe('alice');
  });

  it('rejects a truncated, extended or empty signature', async () => {
    const { header, payload, signature } = await validToken();
    for (const variant of [signature.slice(0, -1), signature.slice(0, 22), `${signature}A`, `${signature}AAAA`, '']) {
      await expectForgeryRejected(`${header}.${payload}.${variant}`);
    }
  });

  it('rejects a signature spelled with standard-base64 characters as malformed', async () => {
    const { header, payload, signature } = await validToken();
    for (const character of ['+', '/']) {
      const token = `${header}.${payload}.${character}${signature.slice(1)}`;
      sensitive.push(token);
      await expectRoomkeyError(() => verifier.verify(token), 'malformed');
    }
  });

  it("rejects one token's signature moved onto another token's payload", async () => {
    const first = await validToken();
    const { token: publisher } = await signer.sign({
      transports: 'any',
      rooms: 'any',
      subject: 'alice',
      roles: ['red5-publisher'],
    });
    sensitive.push(publisher);
    const [, publisherPayload] = splitToken(publisher);
    await expectForgeryRejected(`${first.header}.${publisherPayload}.${first.signature}`);
  });

  it('rejects a token re-signed with a secret that differs in one character', async () => {
    const near = `${SECRET.slice(0, -1)}${SECRET.endsWith('A') ? 'B' : 'A'}`;
    sensitive.push(near);
    const { token } = await createRed5ProSigner({ secret: near, clock: frozenClock() }).sign({
      roles: 'any',
      transports: 'any',
      rooms: 'any',
      subject: 'mallory',
    });
    await expectForgeryRejected(token);
  });

  it('rejects a payload with a duplicate, widening roles key that was never signed', async () => {
    const { header, signature } = await validToken();
    const widened = Buffer.from(
      `{"sub":"alice","roles":"red5-subscriber","roles":"red5-publisher,red5-subscriber","exp":${NOW_S + 600}}`,
    ).toString('base64url');
    await expectForgeryRejected(`${header}.${widened}.${signature}`);
  });
});

describe('secrets and tokens never appear in errors', () => {
  it('keeps the secret out of creation errors for weak secrets', async () => {
    const short = SECRET.slice(0, 31);
    sensitive.push(short);
    await expectTypeError(() => createRed5ProSigner({ secret: short }));
    await expectTypeError(() => createRed5ProVerifier({ secrets: [SECRET, short] }));
    await expectTypeError(() => createRed5ProVerifier({ secret: SECRET, secrets: [OTHER_SECRET] }));
  });

  it('keeps claim values out of signer errors, even when they hold a secret', async () => {
    await expectRoomkeyError(
      () => signer.sign({ roles: 'any', transports: 'any', rooms: 'any', subject: `${SECRET}\u0000` }),
      'invalid_claim',
    );
    await expectRoomkeyError(
      () => signer.sign({ roles: 'any', transports: 'any', rooms: 'any', subject: 'alice', name: `${SECRET}\n` }),
      'invalid_claim',
    );
    await expectRoomkeyError(
      () => signer.sign({ roles: 'any', transports: 'any', subject: 'alice', rooms: [`${SECRET},x`] }),
      'invalid_claim',
    );
    await expectRoomkeyError(
      () => signer.sign({ roles: 'any', rooms: 'any', subject: 'alice', transports: [SECRET] }),
      'invalid_claim',
    );
    await expectRoomkeyError(
      () => signer.sign({ transports: 'any', rooms: 'any', subject: 'alice', roles: [SECRET as 'red5-publisher'] }),
      'invalid_claim',
    );
  });

  it('keeps tokens out of every verifier error code', async () => {
    const { token } = await validToken();
    await expectRoomkeyError(
      () => makeVerifier({ clock: frozenClock(NOW_MS + 7_200_000) }).verify(token),
      'token_expired',
    );
    await expectRoomkeyError(() => makeVerifier({ expectedIssuer: 'roomkey' }).verify(token), 'issuer_mismatch');
    await expectRoomkeyError(() => makeVerifier({ ttlMinutes: 1 }).verify(token), 'ttl_exceeded');
    await expectRoomkeyError(() => verifier.verify(token, { role: 'publisher' }), 'role_denied');
    await expectRoomkeyError(() => verifier.verify(token, { transport: 'WHIP' }), 'transport_denied');
    await expectRoomkeyError(() => verifier.verify(token, { room: 'room2' }), 'room_denied');
    await expectRoomkeyError(() => makeVerifier({ secret: OTHER_SECRET }).verify(token), 'signature_invalid');
    const badRoles = jwt.sign({ sub: 'alice', roles: 7, exp: NOW_S + 60 }, SECRET, { noTimestamp: true });
    sensitive.push(badRoles);
    await expectRoomkeyError(() => verifier.verify(badRoles), 'malformed');
    const [header, payload] = splitToken(token);
    await expectRoomkeyError(() => verifier.verify(`${header}.${payload}`), 'malformed');
  });

  it('collected errors from every test in this file, and none holds a secret or a token', () => {
    const codes = new Set(caughtErrors.filter((error) => isRoomkeyError(error)).map((error) => error.code));
    expect(codes).toEqual(
      new Set([
        'signature_invalid',
        'malformed',
        'invalid_claim',
        'token_expired',
        'issuer_mismatch',
        'ttl_exceeded',
        'role_denied',
        'transport_denied',
        'room_denied',
      ]),
    );
    expect(caughtErrors.some((error) => error instanceof TypeError && !(error instanceof RoomkeyError))).toBe(true);
    expect(caughtErrors.length).toBeGreaterThan(150);
    expect(sensitive.length).toBeGreaterThan(100);
    expectNoLeak(caughtErrors, sensitive);
  });

  it('the leak check itself catches an error that quotes a token', async () => {
    const { token } = await signer.sign({ roles: 'any', transports: 'any', rooms: 'any', subject: 'alice' });
    expect(() => expectNoLeak([new Error(`bad token ${token}`)], [token])).toThrow(/discloses/);
    const [, payload] = splitToken(token);
    expect(() => expectNoLeak([new RoomkeyError('malformed', `payload ${payload}`)], [token])).toThrow(/discloses/);
    expect(() => expectNoLeak([new Error('wrapped', { cause: new Error(SECRET) })], [SECRET])).toThrow(/discloses/);
  });
});
