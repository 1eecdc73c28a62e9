import { decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import jwt from 'jsonwebtoken';
import { describe, expect, it } from 'vitest';
import { createRed5ProSigner, RED5PRO_ROLES, RED5PRO_TRANSPORTS, type Red5ProSignInput } from '../src/index.js';
import {
  expectRoomkeyError,
  expectTypeError,
  frozenClock,
  makeSigner,
  NOW_MS,
  NOW_S,
  SECRET,
  splitToken,
  UUID,
  verifyWithJsonwebtoken,
} from './support/fixtures.js';

/** Signs, then decodes with jose and checks the signature with jsonwebtoken and jose. */
async function signAndDecode(input: Red5ProSignInput, signer = makeSigner()) {
  const signed = await signer.sign(input);
  const payload = decodeJwt(signed.token);
  expect(verifyWithJsonwebtoken(signed.token)).toEqual(payload);
  const verified = await jwtVerify(signed.token, new TextEncoder().encode(SECRET), {
    algorithms: ['HS256'],
    currentDate: new Date(NOW_MS),
  });
  expect(verified.payload).toEqual(payload);
  return { ...signed, payload };
}

describe("Red5 Pro signer: seed 001's common cases", () => {
  it('writes a publisher-only WHIP token exactly as seed 001', async () => {
    const { payload, claims } = await signAndDecode({
      rooms: 'any',
      subject: 'publisher123',
      roles: ['red5-publisher'],
      transports: ['whip'],
    });
    expect(payload).toEqual({
      sub: 'publisher123',
      roles: 'red5-publisher',
      'red5-transport': 'WHIP',
      exp: NOW_S + 3570,
      iat: NOW_S,
      jti: expect.stringMatching(UUID),
    });
    expect(claims).toEqual(payload);
  });

  it('writes a subscriber-only WHEP token exactly as seed 001', async () => {
    const { payload } = await signAndDecode({
      rooms: 'any',
      subject: 'viewer456',
      roles: ['red5-subscriber'],
      transports: ['WHEP'],
    });
    expect(payload).toEqual({
      sub: 'viewer456',
      roles: 'red5-subscriber',
      'red5-transport': 'WHEP',
      exp: NOW_S + 3570,
      iat: NOW_S,
      jti: expect.stringMatching(UUID),
    });
  });

  it('writes a room-restricted token exactly as seed 001', async () => {
    const { payload } = await signAndDecode({
      transports: 'any',
      subject: 'user789',
      roles: ['red5-publisher', 'red5-subscriber'],
      rooms: ['conference'],
    });
    expect(payload).toEqual({
      sub: 'user789',
      roles: 'red5-publisher,red5-subscriber',
      'red5-room': 'conference',
      exp: NOW_S + 3570,
      iat: NOW_S,
      jti: expect.stringMatching(UUID),
    });
  });

  it('writes a short-lived 60-second token exactly as seed 001', async () => {
    const { payload, expiresAt } = await signAndDecode({
      transports: 'any',
      rooms: 'any',
      subject: 'tempuser',
      roles: ['red5-subscriber'],
      ttlSeconds: 60,
    });
    expect(payload).toEqual({
      sub: 'tempuser',
      roles: 'red5-subscriber',
      exp: NOW_S + 60,
      iat: NOW_S,
      jti: expect.stringMatching(UUID),
    });
    expect(expiresAt.getTime()).toBe((NOW_S + 60) * 1000);
  });

  it("writes seed 001's full example with issuer and name", async () => {
    const signer = makeSigner({ issuer: 'your-issuer' });
    const { payload } = await signAndDecode(
      {
        subject: 'testuser',
        name: 'John Doe',
        roles: ['red5-publisher', 'red5-subscriber'],
        transports: ['WHIP', 'WHEP'],
        rooms: ['room1', 'room2'],
      },
      signer,
    );
    expect(payload).toEqual({
      sub: 'testuser',
      iss: 'your-issuer',
      name: 'John Doe',
      roles: 'red5-publisher,red5-subscriber',
      'red5-transport': 'WHIP,WHEP',
      'red5-room': 'room1,room2',
      exp: NOW_S + 3570,
      iat: NOW_S,
      jti: expect.stringMatching(UUID),
    });
    expect(signer.issuer).toBe('your-issuer');
  });

  it("writes only sub, exp, iat and jti when every list is 'any' (no empty claims, no iss, no name)", async () => {
    const { payload } = await signAndDecode({ roles: 'any', transports: 'any', rooms: 'any', subject: 'alice' });
    expect(Object.keys(payload).sort()).toEqual(['exp', 'iat', 'jti', 'sub']);
    expect(makeSigner().issuer).toBeUndefined();
  });

  it.each(['roles', 'transports', 'rooms'] as const)(
    "refuses a sign() without %s: leaving it out would allow anything, so 'any' must be written",
    async (field) => {
      const input: Record<string, unknown> = { subject: 'alice', roles: 'any', transports: 'any', rooms: 'any' };
      delete input[field];
      const error = await expectRoomkeyError(() => makeSigner().sign(input as never), 'invalid_claim');
      expect(error.message).toContain(`${field} is missing`);
      expect(error.message).toContain("'any'");
    },
  );

  it.each(['roles', 'transports', 'rooms'] as const)(
    'refuses an empty %s list, which would allow anything',
    async (field) => {
      const input = { subject: 'alice', roles: 'any', transports: 'any', rooms: 'any', [field]: [] };
      const error = await expectRoomkeyError(() => makeSigner().sign(input as never), 'invalid_claim');
      expect(error.message).toContain(`${field} must not be empty`);
    },
  );

  it('writes the header exactly as {"alg":"HS256","typ":"JWT"}', async () => {
    const { token } = await makeSigner().sign({ roles: 'any', transports: 'any', rooms: 'any', subject: 'alice' });
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256', typ: 'JWT' });
    const [header] = splitToken(token);
    expect(Buffer.from(header, 'base64url').toString('utf8')).toBe('{"alg":"HS256","typ":"JWT"}');
    expect((jwt.decode(token, { complete: true }) as jwt.Jwt).header).toEqual({ alg: 'HS256', typ: 'JWT' });
  });

  it('keeps personal data out unless given: no name claim without `name`', async () => {
    const { payload } = await signAndDecode({
      transports: 'any',
      rooms: 'any',
      subject: 'alice',
      roles: ['red5-subscriber'],
    });
    expect(payload).not.toHaveProperty('name');
  });
});

describe('Red5 Pro signer: lifetime', () => {
  it('writes exp and iat in whole seconds, rounding the clock down', async () => {
    const { payload, expiresAt } = await signAndDecode(
      { subject: 'alice', roles: 'any', transports: 'any', rooms: 'any', ttlSeconds: 600 },
      makeSigner({ clock: frozenClock(NOW_MS + 999) }),
    );
    expect(payload.iat).toBe(NOW_S);
    expect(payload.exp).toBe(NOW_S + 600);
    expect(Number.isInteger(payload.exp)).toBe(true);
    expect(expiresAt.getTime()).toBe((NOW_S + 600) * 1000);
  });

  it('defaults to maxTtlMinutes × 60 − clockSkewSeconds = 3570 s', async () => {
    const signer = makeSigner();
    expect(signer.maxTtlSeconds).toBe(3570);
    const { payload, expiresAt } = await signAndDecode(
      { roles: 'any', transports: 'any', rooms: 'any', subject: 'alice' },
      signer,
    );
    expect((payload.exp as number) - (payload.iat as number)).toBe(3570);
    expect(expiresAt.getTime()).toBe((payload.exp as number) * 1000);
  });

  it('clamps a longer request to the maximum lifetime', async () => {
    const { payload, expiresAt } = await signAndDecode({
      roles: 'any',
      transports: 'any',
      rooms: 'any',
      subject: 'alice',
      ttlSeconds: 7200,
    });
    expect(payload.exp).toBe(NOW_S + 3570);
    expect(expiresAt.getTime()).toBe((NOW_S + 3570) * 1000);
  });

  it('issues exactly the maximum when it is requested', async () => {
    const { payload } = await signAndDecode({
      roles: 'any',
      transports: 'any',
      rooms: 'any',
      subject: 'alice',
      ttlSeconds: 3570,
    });
    expect(payload.exp).toBe(NOW_S + 3570);
  });

  it('derives the maximum from maxTtlMinutes and clockSkewSeconds', async () => {
    const signer = makeSigner({ maxTtlMinutes: 10, clockSkewSeconds: 0 });
    expect(signer.maxTtlSeconds).toBe(600);
    const { payload } = await signAndDecode(
      { roles: 'any', transports: 'any', rooms: 'any', subject: 'alice', ttlSeconds: 3600 },
      signer,
    );
    expect(payload.exp).toBe(NOW_S + 600);
    expect(makeSigner({ maxTtlMinutes: 120, clockSkewSeconds: 45 }).maxTtlSeconds).toBe(7155);
  });

  it('accepts maxTtlMinutes 1 when clockSkewSeconds leaves a full minute', async () => {
    const signer = makeSigner({ maxTtlMinutes: 1, clockSkewSeconds: 0 });
    expect(signer.maxTtlSeconds).toBe(60);
    const { payload } = await signAndDecode(
      { roles: 'any', transports: 'any', rooms: 'any', subject: 'alice' },
      signer,
    );
    expect(payload.exp).toBe(NOW_S + 60);
  });

  it('produces a token that jsonwebtoken considers expired exactly at exp', async () => {
    const { token, payload } = await signAndDecode({
      roles: 'any',
      transports: 'any',
      rooms: 'any',
      subject: 'alice',
      ttlSeconds: 60,
    });
    const exp = payload.exp as number;
    expect(verifyWithJsonwebtoken(token, SECRET, exp - 1).sub).toBe('alice');
    expect(() => verifyWithJsonwebtoken(token, SECRET, exp)).toThrow(jwt.TokenExpiredError);
  });

  it.each([
    ['59 seconds', 59],
    ['0', 0],
    ['a negative lifetime', -60],
    ['a fraction of a second', 60.5],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['a numeric string', '600' as unknown as number],
  ])('refuses ttlSeconds of %s with invalid_claim', async (_label, ttlSeconds) => {
    const error = await expectRoomkeyError(
      () => makeSigner().sign({ roles: 'any', transports: 'any', rooms: 'any', subject: 'alice', ttlSeconds }),
      'invalid_claim',
    );
    expect(error.message).toMatch(/ttlSeconds/);
  });
});

describe('Red5 Pro signer: configuration errors are TypeErrors at creation', () => {
  it.each([
    ['maxTtlMinutes 0', { maxTtlMinutes: 0 }, /maxTtlMinutes/],
    ['maxTtlMinutes 1.5', { maxTtlMinutes: 1.5 }, /maxTtlMinutes/],
    ['maxTtlMinutes -1', { maxTtlMinutes: -1 }, /maxTtlMinutes/],
    ['maxTtlMinutes NaN', { maxTtlMinutes: Number.NaN }, /maxTtlMinutes/],
    ['clockSkewSeconds -1', { clockSkewSeconds: -1 }, /clockSkewSeconds/],
    ['clockSkewSeconds 0.5', { clockSkewSeconds: 0.5 }, /clockSkewSeconds/],
    ['maxTtlMinutes 1 with the default 30 s skew (30 s < 60 s)', { maxTtlMinutes: 1 }, /at least 60 seconds/],
    ['a skew that eats the whole lifetime', { maxTtlMinutes: 10, clockSkewSeconds: 541 }, /at least 60 seconds/],
    ['an empty issuer', { issuer: '' }, /issuer/],
    ['an issuer with a control character', { issuer: 'roomkey\n' }, /issuer/],
    ['an issuer longer than 256 characters', { issuer: 'i'.repeat(257) }, /issuer/],
    ['a clock without now()', { clock: {} as never }, /clock/],
  ])('refuses %s', async (_label, options, message) => {
    await expectTypeError(() => createRed5ProSigner({ secret: SECRET, ...options }), message);
  });

  it('refuses missing options', async () => {
    await expectTypeError(() => createRed5ProSigner(undefined as never), /secret/);
    await expectTypeError(() => createRed5ProSigner(null as never), /secret/);
  });
});

describe('Red5 Pro signer: refused names and claims', () => {
  it.each([
    ['a comma', 'room1,room2'],
    ['a space', 'room 1'],
    ['a slash', 'live/room1'],
    ['a backslash', 'room\\1'],
    ['a control character', 'room\u0001'],
    ['a newline', 'room1\n'],
    ['a DEL character', 'room\u007f'],
    ['non-ASCII letters', 'rööm'],
    ['a Cyrillic look-alike', 'r\u043e\u043em'],
    ['a zero-width space', 'room\u200b1'],
    ['a leading dot', '.room'],
    ['a leading dash', '-room'],
    ['a colon', 'room:1'],
    ['a star', '*'],
    ['129 characters', `r${'o'.repeat(128)}`],
  ])('refuses a room name containing %s', async (_label, room) => {
    const error = await expectRoomkeyError(
      () => makeSigner().sign({ roles: 'any', transports: 'any', subject: 'alice', rooms: ['lobby', room] }),
      'invalid_claim',
    );
    expect(error.message).toMatch(/^rooms\[1\] is /);
  });

  it('does not echo the refused room name in the error message', async () => {
    const error = await expectRoomkeyError(
      () =>
        makeSigner().sign({
          roles: 'any',
          transports: 'any',
          subject: 'alice',
          rooms: ['private-meeting-42,other-room'],
        }),
      'invalid_claim',
    );
    expect(error.message).not.toContain('private-meeting-42');
    expect(error.message).toContain('comma');
  });

  it('refuses an empty string entry in rooms', async () => {
    await expectRoomkeyError(
      () => makeSigner().sign({ roles: 'any', transports: 'any', subject: 'alice', rooms: ['room1', ''] }),
      'invalid_claim',
    );
  });

  it('refuses a non-string room', async () => {
    await expectRoomkeyError(
      () => makeSigner().sign({ roles: 'any', transports: 'any', subject: 'alice', rooms: [42 as unknown as string] }),
      'invalid_claim',
    );
  });

  it('accepts a room of 128 characters and the full character set', async () => {
    const long = `R${'o'.repeat(127)}`;
    const { payload } = await signAndDecode({
      roles: 'any',
      transports: 'any',
      subject: 'alice',
      rooms: [long, 'a.b_c-D9'],
    });
    expect(payload['red5-room']).toBe(`${long},a.b_c-D9`);
  });

  it.each([
    ['rooms', { rooms: [] }],
    ['roles', { roles: [] }],
    ['transports', { transports: [] }],
  ])('refuses an empty %s list, which would widen the token to "any"', async (field, extra) => {
    const error = await expectRoomkeyError(
      () =>
        makeSigner().sign({
          roles: 'any',
          transports: 'any',
          rooms: 'any',
          subject: 'alice',
          ...extra,
        } as Red5ProSignInput),
      'invalid_claim',
    );
    expect(error.message).toContain(field);
  });

  it.each([
    ['SRT', 'SRT'],
    ['an empty string', ''],
    ['a comma-joined pair', 'WHIP,WHEP'],
    ['a padded name', ' WHIP'],
    ['a number', 1 as unknown as string],
    ['with a dotless i (toUpperCase makes it WHIP)', 'wh\u0131p'],
    ['with a long s (toUpperCase makes it RTSP)', 'rt\u017fp'],
  ])('refuses the transport %s', async (_label, transport) => {
    await expectRoomkeyError(
      () => makeSigner().sign({ roles: 'any', rooms: 'any', subject: 'alice', transports: ['WHIP', transport] }),
      'invalid_claim',
    );
  });

  it.each([
    ['Red5-Publisher (wrong case)', 'Red5-Publisher'],
    ['RED5-SUBSCRIBER (upper case)', 'RED5-SUBSCRIBER'],
    ['admin', 'admin'],
    ['publisher (a roomkey role, not a Red5 Pro one)', 'publisher'],
    ['a comma-joined pair', 'red5-publisher,red5-subscriber'],
  ])('refuses the role %s', async (_label, role) => {
    await expectRoomkeyError(
      () => makeSigner().sign({ transports: 'any', rooms: 'any', subject: 'alice', roles: [role as 'red5-publisher'] }),
      'invalid_claim',
    );
  });

  it.each([
    ['an empty subject', { subject: '' }],
    ['a non-string subject', { subject: 7 as unknown as string }],
    ['a subject with a control character', { subject: 'alice\u0000' }],
    ['a subject longer than 256 characters', { subject: 's'.repeat(257) }],
    ['an empty name', { subject: 'alice', name: '' }],
    ['a name with a newline', { subject: 'alice', name: 'John\nDoe' }],
    ['roles that are not an array', { subject: 'alice', roles: 'red5-publisher' as never }],
    ['transports that are not an array', { subject: 'alice', transports: 'WHIP' as never }],
    ['rooms that are not an array', { subject: 'alice', rooms: 'room1' as never }],
  ])('refuses %s with invalid_claim', async (_label, input) => {
    await expectRoomkeyError(() => makeSigner().sign(input as Red5ProSignInput), 'invalid_claim');
  });

  it('refuses a missing input with invalid_claim', async () => {
    await expectRoomkeyError(() => makeSigner().sign(undefined as never), 'invalid_claim');
  });
});

describe('Red5 Pro signer: list normalisation', () => {
  it('accepts transports in any case, writes them upper case and drops duplicates', async () => {
    const { payload } = await signAndDecode({
      roles: 'any',
      rooms: 'any',
      subject: 'alice',
      transports: ['whip', 'Whep', 'WHIP', 'rtmp', 'rtsp'],
    });
    expect(payload['red5-transport']).toBe('WHIP,WHEP,RTMP,RTSP');
  });

  it('drops duplicate roles and rooms, keeping the order given', async () => {
    const { payload } = await signAndDecode({
      transports: 'any',
      subject: 'alice',
      roles: ['red5-subscriber', 'red5-publisher', 'red5-subscriber'],
      rooms: ['b', 'a', 'b'],
    });
    expect(payload.roles).toBe('red5-subscriber,red5-publisher');
    expect(payload['red5-room']).toBe('b,a');
  });

  it('knows exactly the roles and transports Red5 Pro documents', () => {
    expect(RED5PRO_ROLES).toEqual(['red5-publisher', 'red5-subscriber']);
    expect(RED5PRO_TRANSPORTS).toEqual(['RTMP', 'RTSP', 'WHIP', 'WHEP']);
  });

  it('keeps display names and subjects verbatim, including non-ASCII and commas', async () => {
    const { payload } = await signAndDecode({
      roles: 'any',
      transports: 'any',
      rooms: 'any',
      subject: 'user,42',
      name: 'Zoë Ñoño 山田',
    });
    expect(payload.sub).toBe('user,42');
    expect(payload.name).toBe('Zoë Ñoño 山田');
  });
});

describe('Red5 Pro signer: token identity', () => {
  it('gives every token a distinct uuid jti, even at the same frozen instant', async () => {
    const signer = makeSigner();
    const tokens = await Promise.all(
      Array.from({ length: 100 }, () =>
        signer.sign({ roles: 'any', transports: 'any', rooms: 'any', subject: 'alice' }),
      ),
    );
    const ids = tokens.map(({ claims }) => claims.jti);
    for (const id of ids) expect(id).toMatch(UUID);
    expect(new Set(ids).size).toBe(100);
    expect(new Set(tokens.map(({ token }) => token)).size).toBe(100);
  });

  it('draws each jti from fresh randomness: version 4, every hex digit varies, across batches', async () => {
    const signer = makeSigner();
    const ids: string[] = [];
    // Several times the 64 ids the signer formats at once, so batch boundaries are crossed.
    for (let i = 0; i < 500; i++)
      ids.push((await signer.sign({ roles: 'any', transports: 'any', rooms: 'any', subject: 'alice' })).claims.jti);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    // The 30 random hex digits (all but the version digit and the variant digit) each take
    // many values: a counter, a repeated batch or a constant position would not.
    const digits = ids.map((id) => id.replaceAll('-', ''));
    for (const position of [0, 7, 8, 13, 17, 20, 31]) {
      expect(new Set(digits.map((hex) => hex[position])).size).toBeGreaterThanOrEqual(12);
    }
    expect(new Set(digits.map((hex) => hex[16])).size).toBe(4);
  });

  it('returns claims equal to what the token carries', async () => {
    const signed = await makeSigner({ issuer: 'roomkey' }).sign({
      roles: 'any',
      transports: 'any',
      subject: 'alice',
      rooms: ['r1'],
      ttlSeconds: 120,
    });
    expect(decodeJwt(signed.token)).toEqual({ ...signed.claims });
    expect(signed.expiresAt).toEqual(new Date(signed.claims.exp * 1000));
  });

  it('reads the time from the injected clock on every call', async () => {
    let now = NOW_MS;
    const signer = makeSigner({ clock: { now: () => now } });
    const first = await signer.sign({ roles: 'any', transports: 'any', rooms: 'any', subject: 'alice' });
    now += 3_600_000;
    const second = await signer.sign({ roles: 'any', transports: 'any', rooms: 'any', subject: 'alice' });
    expect(second.claims.iat - first.claims.iat).toBe(3600);
    expect(second.claims.exp - first.claims.exp).toBe(3600);
  });
});
