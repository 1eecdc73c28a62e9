import { generateKeyPair, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  createRed5ProVerifier,
  generateSecret,
  type Red5ProRequirement,
  RoomkeyError,
  type RoomkeyErrorCode,
  verifyRed5ProToken,
} from '../src/index.js';
import {
  expectRoomkeyError,
  expectTypeError,
  frozenClock,
  handSignedToken,
  jsonwebtokenToken,
  makeSigner,
  makeVerifier,
  NOW_MS,
  NOW_S,
  OTHER_SECRET,
  SECRET,
  segment,
  splitToken,
} from './support/fixtures.js';

const signer = makeSigner();

/** A jsonwebtoken-made token valid for ten minutes at the frozen instant, plus `claims`. */
function foreignToken(claims: Record<string, unknown> = {}): string {
  return jsonwebtokenToken({ sub: 'alice', iat: NOW_S, exp: NOW_S + 600, ...claims });
}

function verify(token: string, require?: Red5ProRequirement, options = {}) {
  return makeVerifier(options).verify(token, require);
}

describe('Red5 Pro verifier: accepting tokens', () => {
  it("accepts the signer's tokens and reads their claims", async () => {
    const { token, claims } = await makeSigner({ issuer: 'roomkey' }).sign({
      subject: 'carol',
      name: 'Carol',
      roles: ['red5-publisher', 'red5-subscriber'],
      transports: ['whip', 'whep'],
      rooms: ['room1', 'room2'],
      ttlSeconds: 900,
    });
    const verified = await verify(token, { role: 'publisher', transport: 'WHIP', room: 'room2' });
    expect(verified).toEqual({
      subject: 'carol',
      issuer: 'roomkey',
      name: 'Carol',
      roles: ['red5-publisher', 'red5-subscriber'],
      transports: ['WHIP', 'WHEP'],
      rooms: ['room1', 'room2'],
      expiresAt: new Date((NOW_S + 900) * 1000),
      payload: { ...claims },
    });
  });

  it('reports absent restrictions as undefined (any role, transport, room)', async () => {
    const { token } = await signer.sign({ roles: 'any', transports: 'any', rooms: 'any', subject: 'dave' });
    const verified = await verify(token);
    expect(verified.roles).toBeUndefined();
    expect(verified.transports).toBeUndefined();
    expect(verified.rooms).toBeUndefined();
    expect(verified.issuer).toBeUndefined();
    expect(verified.name).toBeUndefined();
  });

  it('verifies once through verifyRed5ProToken with the same result', async () => {
    const { token } = await signer.sign({
      transports: 'any',
      subject: 'erin',
      roles: ['red5-subscriber'],
      rooms: ['room1'],
    });
    const verified = await verifyRed5ProToken(token, {
      secret: SECRET,
      clock: frozenClock(),
      require: { role: 'subscriber', room: 'room1' },
    });
    expect(verified.subject).toBe('erin');
    expect(verified.rooms).toEqual(['room1']);
  });

  it('enforces the requirement given to verifyRed5ProToken', async () => {
    const { token } = await signer.sign({
      transports: 'any',
      subject: 'erin',
      roles: ['red5-subscriber'],
      rooms: ['room1'],
    });
    await expectRoomkeyError(
      () => verifyRed5ProToken(token, { secret: SECRET, clock: frozenClock(), require: { role: 'publisher' } }),
      'role_denied',
    );
  });

  it('accepts a token made by jsonwebtoken with the same secret', async () => {
    const verified = await verify(foreignToken({ roles: 'red5-subscriber' }), { role: 'subscriber' });
    expect(verified.subject).toBe('alice');
    expect(verified.expiresAt).toEqual(new Date((NOW_S + 600) * 1000));
  });
});

describe('Red5 Pro verifier: expiry', () => {
  it('rejects a token at and after its exp with token_expired', async () => {
    const { token, claims } = await signer.sign({
      roles: 'any',
      transports: 'any',
      rooms: 'any',
      subject: 'alice',
      ttlSeconds: 60,
    });
    await expectRoomkeyError(
      () => verify(token, undefined, { clock: frozenClock(claims.exp * 1000) }),
      'token_expired',
    );
    await expectRoomkeyError(
      () => verify(token, undefined, { clock: frozenClock(claims.exp * 1000 + 86_400_000) }),
      'token_expired',
    );
  });

  it('accepts a token in its last second', async () => {
    const { token, claims } = await signer.sign({
      roles: 'any',
      transports: 'any',
      rooms: 'any',
      subject: 'alice',
      ttlSeconds: 60,
    });
    const verified = await verify(token, undefined, { clock: frozenClock(claims.exp * 1000 - 1) });
    expect(verified.subject).toBe('alice');
  });

  it('accepts an expired token within clockToleranceSeconds, and not beyond', async () => {
    const { token, claims } = await signer.sign({
      roles: 'any',
      transports: 'any',
      rooms: 'any',
      subject: 'alice',
      ttlSeconds: 60,
    });
    const at = (seconds: number) => ({ clockToleranceSeconds: 30, clock: frozenClock((claims.exp + seconds) * 1000) });
    expect((await verify(token, undefined, at(29))).subject).toBe('alice');
    await expectRoomkeyError(() => verify(token, undefined, at(30)), 'token_expired');
  });

  it('rejects a token whose nbf lies ahead with not_yet_valid', async () => {
    await expectRoomkeyError(() => verify(foreignToken({ nbf: NOW_S + 120 })), 'not_yet_valid');
    expect((await verify(foreignToken({ nbf: NOW_S }))).subject).toBe('alice');
  });
});

describe('Red5 Pro verifier: signatures', () => {
  it('rejects a token signed with another secret', async () => {
    const { token } = await makeSigner({ secret: OTHER_SECRET }).sign({
      roles: 'any',
      transports: 'any',
      rooms: 'any',
      subject: 'alice',
    });
    await expectRoomkeyError(() => verify(token), 'signature_invalid');
  });

  it('rejects a tampered payload (publisher role added) with signature_invalid', async () => {
    const { token, claims } = await signer.sign({
      transports: 'any',
      rooms: 'any',
      subject: 'alice',
      roles: ['red5-subscriber'],
    });
    const [header, , signature] = splitToken(token);
    const forged = `${header}.${segment({ ...claims, roles: 'red5-publisher,red5-subscriber' })}.${signature}`;
    await expectRoomkeyError(() => verify(forged), 'signature_invalid');
  });

  it('rejects a tampered payload that only extends exp', async () => {
    const { token, claims } = await signer.sign({ roles: 'any', transports: 'any', rooms: 'any', subject: 'alice' });
    const [header, , signature] = splitToken(token);
    await expectRoomkeyError(
      () => verify(`${header}.${segment({ ...claims, exp: claims.exp + 1 })}.${signature}`),
      'signature_invalid',
    );
  });

  it('rejects a tampered header with signature_invalid', async () => {
    const { token } = await signer.sign({ roles: 'any', transports: 'any', rooms: 'any', subject: 'alice' });
    const [, payload, signature] = splitToken(token);
    const header = segment({ alg: 'HS256', typ: 'JWT', kid: 'other' });
    await expectRoomkeyError(() => verify(`${header}.${payload}.${signature}`), 'signature_invalid');
  });

  it('rejects an unsigned alg "none" token built by hand', async () => {
    const unsigned = `${segment({ alg: 'none', typ: 'JWT' })}.${segment({ sub: 'mallory', exp: NOW_S + 600 })}.`;
    await expectRoomkeyError(() => verify(unsigned), 'signature_invalid');
  });

  it('rejects an HS384 token signed with the right secret by jose', async () => {
    const token = await new SignJWT({ sub: 'alice' })
      .setProtectedHeader({ alg: 'HS384', typ: 'JWT' })
      .setExpirationTime(NOW_S + 600)
      .sign(new TextEncoder().encode(SECRET));
    await expectRoomkeyError(() => verify(token), 'signature_invalid');
  });

  it('rejects an RS256 token signed with a generated RSA key', async () => {
    const { privateKey } = await generateKeyPair('RS256', { modulusLength: 2048 });
    const token = await new SignJWT({ sub: 'alice' })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
      .setExpirationTime(NOW_S + 600)
      .sign(privateKey);
    await expectRoomkeyError(() => verify(token), 'signature_invalid');
  });

  it('checks the signature before the expiry: an expired forgery is signature_invalid', async () => {
    const forged = jsonwebtokenToken({ sub: 'alice', exp: NOW_S - 600 }, OTHER_SECRET);
    await expectRoomkeyError(() => verify(forged), 'signature_invalid');
  });
});

describe('Red5 Pro verifier: issuer', () => {
  it('accepts the expected issuer', async () => {
    const { token } = await makeSigner({ issuer: 'roomkey' }).sign({
      roles: 'any',
      transports: 'any',
      rooms: 'any',
      subject: 'alice',
    });
    expect((await verify(token, undefined, { expectedIssuer: 'roomkey' })).issuer).toBe('roomkey');
  });

  it('rejects a different issuer with issuer_mismatch', async () => {
    const { token } = await makeSigner({ issuer: 'someone-else' }).sign({
      roles: 'any',
      transports: 'any',
      rooms: 'any',
      subject: 'alice',
    });
    await expectRoomkeyError(() => verify(token, undefined, { expectedIssuer: 'roomkey' }), 'issuer_mismatch');
  });

  it('compares the issuer exactly (case-sensitively)', async () => {
    const { token } = await makeSigner({ issuer: 'Roomkey' }).sign({
      roles: 'any',
      transports: 'any',
      rooms: 'any',
      subject: 'alice',
    });
    await expectRoomkeyError(() => verify(token, undefined, { expectedIssuer: 'roomkey' }), 'issuer_mismatch');
  });

  it('rejects a token without iss when an issuer is expected', async () => {
    const { token } = await signer.sign({ roles: 'any', transports: 'any', rooms: 'any', subject: 'alice' });
    await expectRoomkeyError(() => verify(token, undefined, { expectedIssuer: 'roomkey' }), 'issuer_mismatch');
  });

  it('ignores iss when no issuer is expected', async () => {
    expect((await verify(foreignToken({ iss: 'anyone' }))).issuer).toBe('anyone');
  });
});

describe('Red5 Pro verifier: server TTL (jwtTtlMinutes)', () => {
  it('rejects a jsonwebtoken token expiring 2 h ahead when ttlMinutes is 60', async () => {
    const token = jsonwebtokenToken({ sub: 'alice', iat: NOW_S, exp: NOW_S + 7200 });
    await expectRoomkeyError(() => verify(token, undefined, { ttlMinutes: 60 }), 'ttl_exceeded');
  });

  it('accepts exp exactly ttlMinutes ahead and rejects one second more', async () => {
    const atLimit = jsonwebtokenToken({ sub: 'alice', exp: NOW_S + 3600 });
    expect((await verify(atLimit, undefined, { ttlMinutes: 60 })).subject).toBe('alice');
    const beyond = jsonwebtokenToken({ sub: 'alice', exp: NOW_S + 3601 });
    await expectRoomkeyError(() => verify(beyond, undefined, { ttlMinutes: 60 }), 'ttl_exceeded');
  });

  it('gives the TTL check the same clock tolerance', async () => {
    const token = jsonwebtokenToken({ sub: 'alice', exp: NOW_S + 3610 });
    expect((await verify(token, undefined, { ttlMinutes: 60, clockToleranceSeconds: 10 })).subject).toBe('alice');
  });

  it('does not cap the lifetime when no ttlMinutes is configured', async () => {
    const token = jsonwebtokenToken({ sub: 'alice', exp: NOW_S + 7200 });
    expect((await verify(token)).subject).toBe('alice');
  });

  it("accepts the signer's default lifetime under the matching ttlMinutes", async () => {
    const { token } = await signer.sign({ roles: 'any', transports: 'any', rooms: 'any', subject: 'alice' });
    expect((await verify(token, undefined, { ttlMinutes: 60 })).subject).toBe('alice');
  });
});

describe('Red5 Pro verifier: malformed tokens', () => {
  it.each([
    ['a garbage string', 'garbage'],
    ['an empty string', ''],
    ['three dots of nothing', '..'],
    ['a header that is not JSON', `${Buffer.from('{nope').toString('base64url')}.${segment({ exp: NOW_S + 60 })}.sig`],
  ])('rejects %s with malformed', async (_label, token) => {
    await expectRoomkeyError(() => verify(token), 'malformed');
  });

  it('rejects a token cut down to two segments with malformed', async () => {
    const { token } = await signer.sign({ roles: 'any', transports: 'any', rooms: 'any', subject: 'alice' });
    const [header, payload] = splitToken(token);
    await expectRoomkeyError(() => verify(`${header}.${payload}`), 'malformed');
  });

  it('rejects a value that is not a string with malformed', async () => {
    await expectRoomkeyError(() => verify(42 as unknown as string), 'malformed');
    await expectRoomkeyError(() => verify(undefined as unknown as string), 'malformed');
  });

  it('rejects a token without exp with malformed', async () => {
    await expectRoomkeyError(() => verify(jsonwebtokenToken({ sub: 'alice', iat: NOW_S })), 'malformed');
  });

  it('rejects a non-numeric exp with malformed', async () => {
    // jsonwebtoken refuses to sign this one, so it is signed by hand.
    const token = handSignedToken({ alg: 'HS256', typ: 'JWT' }, { sub: 'alice', exp: 'tomorrow' });
    await expectRoomkeyError(() => verify(token), 'malformed');
  });

  it('rejects a payload that is not a JSON object with malformed', async () => {
    const token = handSignedToken({ alg: 'HS256', typ: 'JWT' }, ['exp', NOW_S + 60]);
    await expectRoomkeyError(() => verify(token), 'malformed');
  });

  it.each([
    ['roles as an array', { roles: ['red5-publisher'] }],
    ['roles as a number', { roles: 1 }],
    ['red5-room as an array', { 'red5-room': ['room1'] }],
    ['red5-transport as an object', { 'red5-transport': { WHIP: true } }],
    ['sub as a number', { sub: 42 }],
    ['name as a boolean', { name: true }],
  ])('rejects %s with malformed', async (_label, claims) => {
    await expectRoomkeyError(() => verify(foreignToken(claims)), 'malformed');
  });
});

describe('Red5 Pro verifier: roles', () => {
  it.each([
    ['missing', {}],
    ['empty', { roles: '' }],
  ])('lets a token whose roles claim is %s publish and subscribe', async (_label, claims) => {
    const token = foreignToken(claims);
    const verified = await verify(token, { role: 'publisher' });
    expect(verified.roles).toBeUndefined();
    expect((await verify(token, { role: 'subscriber' })).subject).toBe('alice');
  });

  it('denies publishing to a subscriber-only token with role_denied', async () => {
    const { token } = await signer.sign({
      transports: 'any',
      rooms: 'any',
      subject: 'alice',
      roles: ['red5-subscriber'],
    });
    expect((await verify(token, { role: 'subscriber' })).roles).toEqual(['red5-subscriber']);
    await expectRoomkeyError(() => verify(token, { role: 'publisher' }), 'role_denied');
  });

  it('denies subscribing to a publisher-only token with role_denied', async () => {
    const { token } = await signer.sign({
      transports: 'any',
      rooms: 'any',
      subject: 'alice',
      roles: ['red5-publisher'],
    });
    expect((await verify(token, { role: 'publisher' })).roles).toEqual(['red5-publisher']);
    await expectRoomkeyError(() => verify(token, { role: 'subscriber' }), 'role_denied');
  });

  it('grants nothing for upper-case roles (Red5 Pro honours lower case only)', async () => {
    const token = foreignToken({ roles: 'RED5-PUBLISHER,RED5-SUBSCRIBER' });
    expect((await verify(token)).roles).toEqual([]);
    await expectRoomkeyError(() => verify(token, { role: 'publisher' }), 'role_denied');
    await expectRoomkeyError(() => verify(token, { role: 'subscriber' }), 'role_denied');
  });

  it('counts only the exact lower-case entries of a mixed list', async () => {
    const token = foreignToken({ roles: 'red5-publisher,RED5-SUBSCRIBER,admin' });
    expect((await verify(token, { role: 'publisher' })).roles).toEqual(['red5-publisher']);
    await expectRoomkeyError(() => verify(token, { role: 'subscriber' }), 'role_denied');
  });

  it('does not trim entries: a space after the comma spoils the role', async () => {
    const token = foreignToken({ roles: 'red5-publisher, red5-subscriber' });
    await expectRoomkeyError(() => verify(token, { role: 'subscriber' }), 'role_denied');
  });

  it('refuses an unknown required role with a TypeError', async () => {
    const { token } = await signer.sign({ roles: 'any', transports: 'any', rooms: 'any', subject: 'alice' });
    await expectTypeError(() => verify(token, { role: 'moderator' as 'publisher' }), /require\.role/);
  });
});

describe('Red5 Pro verifier: transports', () => {
  it('compares transports case-insensitively (token WHIP, require whip)', async () => {
    const { token } = await signer.sign({ roles: 'any', rooms: 'any', subject: 'alice', transports: ['WHIP'] });
    expect((await verify(token, { transport: 'whip' })).transports).toEqual(['WHIP']);
  });

  it('accepts a lower-case transport claim made by another issuer', async () => {
    const verified = await verify(foreignToken({ 'red5-transport': 'whip,rtmp' }), { transport: 'RTMP' });
    expect(verified.transports).toEqual(['WHIP', 'RTMP']);
  });

  it('reads no look-alike as a transport, in the claim or in the requirement', async () => {
    // `whıp` (dotless i) and `rtſp` (long s) upper-case to WHIP and RTSP in JavaScript.
    const lookAlikes = foreignToken({ 'red5-transport': 'wh\u0131p,rt\u017fp' });
    await expectRoomkeyError(() => verify(lookAlikes, { transport: 'WHIP' }), 'transport_denied');
    await expectRoomkeyError(() => verify(lookAlikes, { transport: 'RTSP' }), 'transport_denied');
    const { token } = await signer.sign({ roles: 'any', rooms: 'any', subject: 'alice', transports: ['WHIP'] });
    await expectRoomkeyError(() => verify(token, { transport: 'wh\u0131p' }), 'transport_denied');
  });

  it('denies a transport outside the claim with transport_denied', async () => {
    const { token } = await signer.sign({ roles: 'any', rooms: 'any', subject: 'alice', transports: ['WHIP'] });
    await expectRoomkeyError(() => verify(token, { transport: 'WHEP' }), 'transport_denied');
    await expectRoomkeyError(() => verify(token, { transport: 'rtmp' }), 'transport_denied');
  });

  it('allows any transport when the claim is missing', async () => {
    const { token } = await signer.sign({ roles: 'any', transports: 'any', rooms: 'any', subject: 'alice' });
    for (const transport of ['RTMP', 'rtsp', 'WHIP', 'whep']) {
      expect((await verify(token, { transport })).subject).toBe('alice');
    }
  });
});

describe('Red5 Pro verifier: rooms', () => {
  it('matches rooms exactly and case-sensitively', async () => {
    const { token } = await signer.sign({ roles: 'any', transports: 'any', subject: 'alice', rooms: ['room1'] });
    expect((await verify(token, { room: 'room1' })).rooms).toEqual(['room1']);
    await expectRoomkeyError(() => verify(token, { room: 'Room1' }), 'room_denied');
  });

  it('does not match a prefix or an extension of a granted room', async () => {
    const { token } = await signer.sign({
      roles: 'any',
      transports: 'any',
      subject: 'alice',
      rooms: ['room10', 'lobby'],
    });
    await expectRoomkeyError(() => verify(token, { room: 'room1' }), 'room_denied');
    await expectRoomkeyError(() => verify(token, { room: 'room100' }), 'room_denied');
    await expectRoomkeyError(() => verify(token, { room: 'room10,lobby' }), 'room_denied');
  });

  it('accepts any room of a list', async () => {
    const { token } = await signer.sign({
      roles: 'any',
      transports: 'any',
      subject: 'alice',
      rooms: ['room1', 'room2', 'room3'],
    });
    for (const room of ['room1', 'room2', 'room3']) {
      expect((await verify(token, { room })).subject).toBe('alice');
    }
  });

  it('allows any room when the claim is missing', async () => {
    const { token } = await signer.sign({ roles: 'any', transports: 'any', rooms: 'any', subject: 'alice' });
    expect((await verify(token, { room: 'anything-at-all' })).rooms).toBeUndefined();
  });

  it('checks role, transport and room together', async () => {
    const { token } = await signer.sign({
      subject: 'alice',
      roles: ['red5-subscriber'],
      transports: ['WHEP'],
      rooms: ['public-event'],
    });
    const cases: [Red5ProRequirement, RoomkeyErrorCode | 'ok'][] = [
      [{ role: 'subscriber', transport: 'whep', room: 'public-event' }, 'ok'],
      [{ role: 'publisher', transport: 'whep', room: 'public-event' }, 'role_denied'],
      [{ role: 'subscriber', transport: 'whip', room: 'public-event' }, 'transport_denied'],
      [{ role: 'subscriber', transport: 'whep', room: 'private-event' }, 'room_denied'],
    ];
    for (const [require, outcome] of cases) {
      if (outcome === 'ok') expect((await verify(token, require)).subject).toBe('alice');
      else await expectRoomkeyError(() => verify(token, require), outcome);
    }
  });
});

describe('Red5 Pro verifier: secret rotation', () => {
  const newSecret = generateSecret();
  const oldSecret = generateSecret();

  it('accepts tokens of the new and the old secret during the overlap', async () => {
    const verifier = createRed5ProVerifier({ secrets: [newSecret, oldSecret], clock: frozenClock() });
    const fresh = await makeSigner({ secret: newSecret }).sign({
      roles: 'any',
      transports: 'any',
      rooms: 'any',
      subject: 'new',
    });
    const old = await makeSigner({ secret: oldSecret }).sign({
      roles: 'any',
      transports: 'any',
      rooms: 'any',
      subject: 'old',
    });
    expect((await verifier.verify(fresh.token)).subject).toBe('new');
    expect((await verifier.verify(old.token)).subject).toBe('old');
  });

  it('rejects old tokens with signature_invalid once the old secret is removed', async () => {
    const old = await makeSigner({ secret: oldSecret }).sign({
      roles: 'any',
      transports: 'any',
      rooms: 'any',
      subject: 'old',
    });
    const fresh = await makeSigner({ secret: newSecret }).sign({
      roles: 'any',
      transports: 'any',
      rooms: 'any',
      subject: 'new',
    });
    const verifier = createRed5ProVerifier({ secrets: [newSecret], clock: frozenClock() });
    expect((await verifier.verify(fresh.token)).subject).toBe('new');
    await expectRoomkeyError(() => verifier.verify(old.token), 'signature_invalid');
  });

  it('reports an expired token of the old secret as token_expired, not signature_invalid', async () => {
    const old = await makeSigner({ secret: oldSecret }).sign({
      roles: 'any',
      transports: 'any',
      rooms: 'any',
      subject: 'old',
      ttlSeconds: 60,
    });
    const verifier = createRed5ProVerifier({ secrets: [newSecret, oldSecret], clock: frozenClock(NOW_MS + 120_000) });
    await expectRoomkeyError(() => verifier.verify(old.token), 'token_expired');
  });

  it('rejects a token of a third secret with signature_invalid', async () => {
    const other = await makeSigner({ secret: OTHER_SECRET }).sign({
      roles: 'any',
      transports: 'any',
      rooms: 'any',
      subject: 'x',
    });
    const verifier = createRed5ProVerifier({ secrets: [newSecret, oldSecret], clock: frozenClock() });
    await expectRoomkeyError(() => verifier.verify(other.token), 'signature_invalid');
  });
});

describe('Red5 Pro verifier: configuration errors are TypeErrors at creation', () => {
  it('refuses secret and secrets together', async () => {
    await expectTypeError(() => createRed5ProVerifier({ secret: SECRET, secrets: [SECRET] }), /exactly one/);
  });

  it('refuses neither secret nor secrets', async () => {
    await expectTypeError(() => createRed5ProVerifier({}), /exactly one/);
    await expectTypeError(async () => verifyRed5ProToken('a.b.c', {}), /exactly one/);
  });

  it.each([
    ['an empty secrets array', { secrets: [] }, /non-empty array/],
    ['secrets that is a string', { secrets: SECRET as never }, /non-empty array/],
    ['ttlMinutes 0', { secret: SECRET, ttlMinutes: 0 }, /ttlMinutes/],
    ['ttlMinutes 1.5', { secret: SECRET, ttlMinutes: 1.5 }, /ttlMinutes/],
    ['a negative clockToleranceSeconds', { secret: SECRET, clockToleranceSeconds: -1 }, /clockToleranceSeconds/],
    ['an empty expectedIssuer', { secret: SECRET, expectedIssuer: '' }, /expectedIssuer/],
    ['a clock that is a number', { secret: SECRET, clock: 5 as never }, /clock/],
  ])('refuses %s', async (_label, options, message) => {
    await expectTypeError(() => createRed5ProVerifier(options), message);
  });

  it('refuses missing options', async () => {
    await expectTypeError(() => createRed5ProVerifier(undefined as never), /secret/);
  });

  it('throws only RoomkeyError for bad tokens, never a jose error', async () => {
    const error = await expectRoomkeyError(() => verify('x.y.z'), 'malformed');
    expect(Object.getPrototypeOf(error)).toBe(RoomkeyError.prototype);
    expect(error.cause).toBeUndefined();
  });
});
