/**
 * Rotating the Red5 Pro secret (seed 003: "overlap periods where both old and new secrets are
 * valid"), as packages/core/README.md#rotating-the-secret describes it: generate NEW, let
 * verifiers accept both, switch the signer, wait for the longest token lifetime, remove OLD.
 * jose checks every token independently of our verifier.
 */
import { Readable } from 'node:stream';
import { errors as joseErrors, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  type Clock,
  createRed5ProSigner,
  createRed5ProVerifier,
  createTokenIssuer,
  generateSecret,
  type IncomingTokenRequest,
  type Red5ProSigner,
  type TokenResponseBody,
  verifyRed5ProToken,
} from '../src/index.js';
import {
  caughtErrors,
  expectNoLeak,
  expectRoomkeyError,
  expectTypeError,
  frozenClock,
  NOW_MS,
  NOW_S,
  SAMPLE_SECRET,
} from './support/fixtures.js';

/** Step 1 of the procedure: the new secret comes from generateSecret, like the old one did. */
const OLD = generateSecret();
const NEW = generateSecret();
/** A secret that was never configured anywhere. */
const STRANGER = generateSecret();

/** Every secret and token made in this file: none may show up in any error. */
const sensitive: string[] = [OLD, NEW, STRANGER];

const SUBSCRIBE_ROOM1 = { role: 'subscriber', room: 'room1' } as const;

function signerWith(secret: string, clock: Clock = frozenClock()): Red5ProSigner {
  return createRed5ProSigner({ secret, clock });
}

/** A subscriber token for room1, remembered as sensitive. */
async function tokenFrom(signer: Red5ProSigner, subject: string, ttlSeconds?: number): Promise<string> {
  const { token } = await signer.sign({
    transports: 'any',
    subject,
    roles: ['red5-subscriber'],
    rooms: ['room1'],
    ...(ttlSeconds !== undefined && { ttlSeconds }),
  });
  sensitive.push(token);
  return token;
}

/** jose, code nobody here wrote, checking a token with one secret at the instant `atMs`. */
function joseVerify(token: string, secret: string, atMs = NOW_MS) {
  return jwtVerify(token, new TextEncoder().encode(secret), { algorithms: ['HS256'], currentDate: new Date(atMs) });
}

async function expectJoseAccepts(token: string, secret: string, subject: string, atMs = NOW_MS): Promise<void> {
  const { payload, protectedHeader } = await joseVerify(token, secret, atMs);
  expect(protectedHeader.alg).toBe('HS256');
  expect(payload.sub).toBe(subject);
}

async function expectJoseRejectsSignature(token: string, secret: string, atMs = NOW_MS): Promise<void> {
  await expect(joseVerify(token, secret, atMs)).rejects.toBeInstanceOf(joseErrors.JWSSignatureVerificationFailed);
}

describe('rotating the Red5 Pro secret: the whole procedure', () => {
  it('moves from OLD to NEW with every unexpired token accepted by the overlap verifier', async () => {
    let now = NOW_MS;
    const clock: Clock = { now: () => now };
    const maxTtlMinutes = 60;
    const verifierOptions = { clock, ttlMinutes: maxTtlMinutes, clockToleranceSeconds: 30 } as const;

    // 1. Before: the signer and the verifier hold OLD.
    expect(NEW).not.toBe(OLD);
    const oldSigner = createRed5ProSigner({ secret: OLD, clock, maxTtlMinutes });
    const before = createRed5ProVerifier({ secret: OLD, ...verifierOptions });
    const early = await tokenFrom(oldSigner, 'early');
    expect((await before.verify(early, SUBSCRIBE_ROOM1)).subject).toBe('early');
    await expectJoseAccepts(early, OLD, 'early');

    // 2. Overlap: the verifier accepts both; OLD tokens read exactly as before.
    const overlap = createRed5ProVerifier({ secrets: [NEW, OLD], ...verifierOptions });
    expect(await overlap.verify(early, SUBSCRIBE_ROOM1)).toEqual(await before.verify(early, SUBSCRIBE_ROOM1));

    // The last token the old signer issues, ten minutes later, with the longest lifetime it allows.
    now = NOW_MS + 10 * 60_000;
    const switchedAtMs = now;
    const lastOld = await tokenFrom(oldSigner, 'last-old');
    expect((await overlap.verify(lastOld, SUBSCRIBE_ROOM1)).expiresAt).toEqual(
      new Date(switchedAtMs + oldSigner.maxTtlSeconds * 1000),
    );

    // The signer switches to NEW: its tokens verify with jose under NEW, not under OLD.
    const newSigner = createRed5ProSigner({ secret: NEW, clock, maxTtlMinutes });
    const firstNew = await tokenFrom(newSigner, 'first-new');
    await expectJoseAccepts(firstNew, NEW, 'first-new', now);
    await expectJoseRejectsSignature(firstNew, OLD, now);
    await expectJoseAccepts(lastOld, OLD, 'last-old', now);
    await expectJoseRejectsSignature(lastOld, NEW, now);
    expect((await overlap.verify(firstNew, SUBSCRIBE_ROOM1)).subject).toBe('first-new');
    expect((await overlap.verify(lastOld, SUBSCRIBE_ROOM1)).subject).toBe('last-old');
    // The verifier that still holds only OLD is the one a NEW token breaks.
    await expectRoomkeyError(() => before.verify(firstNew), 'signature_invalid');

    // Waiting: one second short of maxTtlMinutes after the switch, the last OLD token is still
    // valid, so removing OLD now would refuse it.
    const after = createRed5ProVerifier({ secret: NEW, ...verifierOptions });
    now = switchedAtMs + maxTtlMinutes * 60_000 - 1000;
    expect((await overlap.verify(lastOld)).subject).toBe('last-old');
    await expectRoomkeyError(() => after.verify(lastOld), 'signature_invalid');

    // maxTtlMinutes after the switch, every OLD token has expired, even for the overlap verifier.
    now = switchedAtMs + maxTtlMinutes * 60_000;
    await expectRoomkeyError(() => overlap.verify(lastOld), 'token_expired');
    await expect(joseVerify(lastOld, OLD, now)).rejects.toBeInstanceOf(joseErrors.JWTExpired);

    // 3. After: OLD is removed; OLD tokens fail on their signature, NEW tokens pass.
    await expectRoomkeyError(() => after.verify(lastOld), 'signature_invalid');
    await expectRoomkeyError(() => after.verify(early), 'signature_invalid');
    const later = await tokenFrom(newSigner, 'later');
    expect((await after.verify(later, SUBSCRIBE_ROOM1)).subject).toBe('later');
    await expectJoseAccepts(later, NEW, 'later', now);
    await expectJoseRejectsSignature(later, OLD, now);
  });
});

describe('rotation: the overlap verifier', () => {
  it('accepts OLD and NEW tokens through verifyRed5ProToken, reading them as a single-secret verifier does', async () => {
    const oldToken = await tokenFrom(signerWith(OLD), 'old');
    const newToken = await tokenFrom(signerWith(NEW), 'new');
    const overlap = { secrets: [NEW, OLD], clock: frozenClock(), require: SUBSCRIBE_ROOM1 };
    const fromOld = await verifyRed5ProToken(oldToken, overlap);
    const fromNew = await verifyRed5ProToken(newToken, overlap);
    // The result does not say which secret matched: it is exactly what that secret alone gives.
    expect(fromOld).toEqual(
      await verifyRed5ProToken(oldToken, { secret: OLD, clock: frozenClock(), require: SUBSCRIBE_ROOM1 }),
    );
    expect(fromNew).toEqual(
      await verifyRed5ProToken(newToken, { secret: NEW, clock: frozenClock(), require: SUBSCRIBE_ROOM1 }),
    );
    expect(fromOld.subject).toBe('old');
    expect(fromNew.subject).toBe('new');
    expect(fromOld.rooms).toEqual(['room1']);
  });

  it.each([
    ['NEW first', [NEW, OLD]],
    ['OLD first', [OLD, NEW]],
  ])('accepts both secrets whatever the order (%s) and still refuses a third', async (_label, secrets) => {
    const verifier = createRed5ProVerifier({ secrets, clock: frozenClock() });
    expect((await verifier.verify(await tokenFrom(signerWith(OLD), 'old'))).subject).toBe('old');
    expect((await verifier.verify(await tokenFrom(signerWith(NEW), 'new'))).subject).toBe('new');
    await expectRoomkeyError(
      async () => verifier.verify(await tokenFrom(signerWith(STRANGER), 'stranger')),
      'signature_invalid',
    );
  });

  it('tolerates a secret listed twice, which widens nothing', async () => {
    const oldToken = await tokenFrom(signerWith(OLD), 'old');
    const newToken = await tokenFrom(signerWith(NEW), 'new');
    const withDuplicate = createRed5ProVerifier({ secrets: [NEW, NEW, OLD], clock: frozenClock() });
    expect((await withDuplicate.verify(oldToken)).subject).toBe('old');
    expect((await withDuplicate.verify(newToken)).subject).toBe('new');
    const onlyNewTwice = createRed5ProVerifier({ secrets: [NEW, NEW], clock: frozenClock() });
    expect((await onlyNewTwice.verify(newToken)).subject).toBe('new');
    await expectRoomkeyError(() => onlyNewTwice.verify(oldToken), 'signature_invalid');
  });

  it.each([
    ['NEW first', [NEW, OLD]],
    ['OLD first', [OLD, NEW]],
  ])('reports an expired token of either secret as token_expired during the overlap (%s)', async (_label, secrets) => {
    const oldToken = await tokenFrom(signerWith(OLD), 'old', 60);
    const newToken = await tokenFrom(signerWith(NEW), 'new', 60);
    const inTime = createRed5ProVerifier({ secrets, clock: frozenClock(NOW_MS + 59_000) });
    expect((await inTime.verify(oldToken)).subject).toBe('old');
    const tooLate = createRed5ProVerifier({ secrets, clock: frozenClock(NOW_MS + 60_000) });
    await expectRoomkeyError(() => tooLate.verify(oldToken), 'token_expired');
    await expectRoomkeyError(() => tooLate.verify(newToken), 'token_expired');
    // A token that no configured secret signed is a bad signature, whether expired or not.
    const stranger = await tokenFrom(signerWith(STRANGER), 'stranger', 60);
    await expectRoomkeyError(() => tooLate.verify(stranger), 'signature_invalid');
  });

  it('applies every claim check to OLD tokens during the overlap', async () => {
    const verifier = createRed5ProVerifier({ secrets: [NEW, OLD], clock: frozenClock(), ttlMinutes: 5 });
    const oldToken = await tokenFrom(signerWith(OLD), 'old', 120);
    await expectRoomkeyError(() => verifier.verify(oldToken, { role: 'publisher' }), 'role_denied');
    await expectRoomkeyError(() => verifier.verify(oldToken, { room: 'room2' }), 'room_denied');
    expect((await verifier.verify(oldToken, SUBSCRIBE_ROOM1)).subject).toBe('old');
    const tooLong = await tokenFrom(signerWith(OLD), 'old', 3600);
    await expectRoomkeyError(() => verifier.verify(tooLong), 'ttl_exceeded');
  });

  it('refuses an OLD token whose payload was altered, with signature_invalid', async () => {
    const [header, , signature] = (await tokenFrom(signerWith(OLD), 'old')).split('.');
    const widened = Buffer.from(
      JSON.stringify({ sub: 'old', roles: 'red5-publisher,red5-subscriber', exp: NOW_S + 600 }),
    ).toString('base64url');
    const verifier = createRed5ProVerifier({ secrets: [NEW, OLD], clock: frozenClock() });
    await expectRoomkeyError(() => verifier.verify(`${header}.${widened}.${signature}`), 'signature_invalid');
  });
});

describe('rotation: configuration mistakes fail at creation', () => {
  it('refuses an empty secrets list with a TypeError, synchronously', async () => {
    expect(() => createRed5ProVerifier({ secrets: [] })).toThrow(TypeError);
    await expectTypeError(() => createRed5ProVerifier({ secrets: [] }), /non-empty array/);
    await expectTypeError(() => verifyRed5ProToken('a.b.c', { secrets: [] }), /non-empty array/);
  });

  it('refuses secret and secrets together, so OLD cannot linger beside the list', async () => {
    await expectTypeError(() => createRed5ProVerifier({ secret: OLD, secrets: [NEW] }), /exactly one/);
  });

  const short = NEW.slice(0, 31);
  sensitive.push(short);
  it.each([
    ['a 31-byte secret', short, /is too short: 31 bytes/],
    ["Red5's sample secret", SAMPLE_SECRET, /sample secret/],
    ['an empty string', '', /is too short: 0 bytes/],
    ['a number', 42 as unknown as string, /must be a string/],
  ])('refuses %s among the secrets, naming its position and no secret', async (_label, weak, message) => {
    const second = await expectTypeError(() => createRed5ProVerifier({ secrets: [NEW, weak] }), message);
    expect(second.message).toMatch(/^secrets\[1\] /);
    const first = await expectTypeError(() => createRed5ProVerifier({ secrets: [weak, OLD] }), message);
    expect(first.message).toMatch(/^secrets\[0\] /);
    for (const error of [first, second]) {
      expect(error.message).not.toContain(NEW);
      expect(error.message).not.toContain(OLD);
      if (typeof weak === 'string' && weak.length > 0) expect(error.message).not.toContain(weak);
    }
  });

  it('refuses to switch the signer to a weak new secret', async () => {
    const error = await expectTypeError(() => createRed5ProSigner({ secret: SAMPLE_SECRET }), /sample secret/);
    expect(error.message).not.toContain(SAMPLE_SECRET);
    await expectTypeError(() => createRed5ProSigner({ secret: short }), /too short: 31 bytes/);
  });
});

describe('rotation through the issuing pipeline', () => {
  /** A POST /tokens request as an adapter hands it over. */
  function post(body: unknown): IncomingTokenRequest<null> {
    return {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      stream: Readable.from([Buffer.from(JSON.stringify(body))], { objectMode: false }),
      native: null,
    };
  }

  /** An issuer as the app runs it, with `red5pro` configured with one secret. */
  async function issueWith(red5pro: Red5ProSigner | { secret: string }): Promise<string> {
    const issuer = createTokenIssuer<null>({ identify: () => ({ id: 'carol' }), red5pro, clock: frozenClock() });
    const response = await issuer.handle(post({ room: 'room1' }));
    expect(response.status).toBe(200);
    const token = (JSON.parse(response.body) as TokenResponseBody).tokens.red5pro?.token;
    expect(token).toEqual(expect.any(String));
    sensitive.push(token as string);
    return token as string;
  }

  it('an issuer restarted with the new secret issues tokens the overlap accepts and OLD-only checks refuse', async () => {
    const beforeToken = await issueWith({ secret: OLD });
    const afterToken = await issueWith({ secret: NEW });
    const overlap = createRed5ProVerifier({ secrets: [NEW, OLD], clock: frozenClock() });
    expect((await overlap.verify(beforeToken, SUBSCRIBE_ROOM1)).subject).toBe('carol');
    expect((await overlap.verify(afterToken, SUBSCRIBE_ROOM1)).subject).toBe('carol');

    await expectJoseAccepts(beforeToken, OLD, 'carol');
    await expectJoseRejectsSignature(beforeToken, NEW);
    await expectJoseAccepts(afterToken, NEW, 'carol');
    await expectJoseRejectsSignature(afterToken, OLD);

    const after = createRed5ProVerifier({ secret: NEW, clock: frozenClock() });
    expect((await after.verify(afterToken, SUBSCRIBE_ROOM1)).subject).toBe('carol');
    await expectRoomkeyError(() => after.verify(beforeToken), 'signature_invalid');
  });

  it('switches just the same when the issuer is given a signer built with the new secret', async () => {
    const token = await issueWith(signerWith(NEW));
    await expectJoseAccepts(token, NEW, 'carol');
    await expectJoseRejectsSignature(token, OLD);
  });

  it('refuses a weak new secret when the issuer is created, not at the first request', async () => {
    const error = await expectTypeError(
      () => createTokenIssuer<null>({ identify: () => ({ id: 'carol' }), red5pro: { secret: SAMPLE_SECRET } }),
      /sample secret/,
    );
    expect(error.message).not.toContain(SAMPLE_SECRET);
  });
});

describe('rotation: secrets and tokens never appear in errors', () => {
  it('collected errors from every test in this file, and none holds OLD, NEW or a token', () => {
    const codes = new Set(caughtErrors.map((error) => (error as { code?: unknown }).code).filter(Boolean));
    expect(codes).toEqual(
      new Set(['signature_invalid', 'token_expired', 'role_denied', 'room_denied', 'ttl_exceeded']),
    );
    expect(caughtErrors.filter((error) => error instanceof TypeError).length).toBeGreaterThanOrEqual(12);
    expect(sensitive.length).toBeGreaterThan(20);
    expectNoLeak(caughtErrors, sensitive);
  });
});
