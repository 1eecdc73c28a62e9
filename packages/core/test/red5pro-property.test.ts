import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createRed5ProSigner,
  createRed5ProVerifier,
  isValidName,
  NAME_PATTERN,
  RED5PRO_ROLES,
  RED5PRO_TRANSPORTS,
  type Red5ProRequirement,
  type Red5ProSignInput,
  RoomkeyError,
} from '../src/index.js';
import { frozenClock, NOW_MS, SECRET, UUID, verifyWithJsonwebtoken } from './support/fixtures.js';

const RUNS = { numRuns: 200 };
const MAX_TTL = 3570;

// biome-ignore lint/suspicious/noControlCharactersInRegex: subjects without control characters are the valid ones
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

const room = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/);

/** A transport name in random letter case: the signer accepts any case. */
const anyCase = (name: string) =>
  fc
    .array(fc.boolean(), { minLength: name.length, maxLength: name.length })
    .map((flags) => [...name].map((letter, index) => (flags[index] ? letter.toLowerCase() : letter)).join(''));

const validInput = fc.record(
  {
    subject: fc.string({ unit: 'binary', minLength: 1, maxLength: 64 }).filter((value) => !CONTROL.test(value)),
    name: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }).filter((value) => !CONTROL.test(value)),
    rooms: fc.oneof(fc.constant('any' as const), fc.array(room, { minLength: 1, maxLength: 6 })),
    roles: fc.oneof(fc.constant('any' as const), fc.subarray([...RED5PRO_ROLES], { minLength: 1 })),
    transports: fc.oneof(
      fc.constant('any' as const),
      fc.subarray([...RED5PRO_TRANSPORTS], { minLength: 1 }).chain((names) => fc.tuple(...names.map(anyCase))),
    ),
    ttlSeconds: fc.integer({ min: 60, max: MAX_TTL }),
  },
  { requiredKeys: ['subject', 'rooms', 'roles', 'transports'] },
);

describe('Red5 Pro sign → verify round trip (property)', () => {
  it('verifies every valid input with a matching requirement and reads back the same claims', async () => {
    await fc.assert(
      fc.asyncProperty(
        validInput,
        fc.integer({ min: NOW_MS - 10 * 365 * 86_400_000, max: NOW_MS + 10 * 365 * 86_400_000 }),
        fc.nat(),
        fc.option(room, { nil: undefined }),
        async (input, nowMs, pick, anyRoom) => {
          const clock = frozenClock(nowMs);
          const signer = createRed5ProSigner({ secret: SECRET, issuer: 'roomkey', clock });
          const verifier = createRed5ProVerifier({ secret: SECRET, expectedIssuer: 'roomkey', ttlMinutes: 60, clock });
          const { token, expiresAt, claims } = await signer.sign(input as Red5ProSignInput);

          const nowS = Math.floor(nowMs / 1000);
          const ttl = input.ttlSeconds ?? MAX_TTL;
          expect(claims.iat).toBe(nowS);
          expect(claims.exp).toBe(nowS + ttl);
          expect(expiresAt.getTime()).toBe(claims.exp * 1000);
          expect(claims.jti).toMatch(UUID);

          const choose = <T>(values: readonly T[]): T => values[pick % values.length] as T;
          const require: Red5ProRequirement = {
            role: input.roles === 'any' ? choose(['publisher', 'subscriber'] as const) : choose(input.roles).slice(5),
            room: input.rooms === 'any' ? (anyRoom ?? 'lobby') : choose(input.rooms),
            ...(input.transports !== 'any' ? { transport: choose(input.transports) } : {}),
          } as Red5ProRequirement;
          const verified = await verifier.verify(token, require);

          expect(verified.subject).toBe(input.subject);
          expect(verified.issuer).toBe('roomkey');
          expect(verified.name).toBe(input.name);
          expect(verified.roles).toEqual(input.roles === 'any' ? undefined : [...new Set(input.roles)]);
          expect(verified.rooms).toEqual(input.rooms === 'any' ? undefined : [...new Set(input.rooms)]);
          expect(verified.transports).toEqual(
            input.transports === 'any' ? undefined : [...new Set(input.transports.map((t) => t.toUpperCase()))],
          );
          expect(verified.expiresAt).toEqual(expiresAt);
          expect(verified.payload).toEqual({ ...claims });

          // Code nobody here wrote agrees on the signature and the claims.
          expect(verifyWithJsonwebtoken(token, SECRET, nowS)).toEqual({ ...claims });
        },
      ),
      RUNS,
    );
  });

  it('never verifies a token for a room it does not list', async () => {
    const signer = createRed5ProSigner({ secret: SECRET, clock: frozenClock() });
    const verifier = createRed5ProVerifier({ secret: SECRET, clock: frozenClock() });
    await fc.assert(
      fc.asyncProperty(fc.array(room, { minLength: 1, maxLength: 4 }), room, async (rooms, other) => {
        fc.pre(!rooms.includes(other));
        const { token } = await signer.sign({ roles: 'any', transports: 'any', subject: 'alice', rooms });
        await expect(verifier.verify(token, { room: other })).rejects.toMatchObject({ code: 'room_denied' });
      }),
      RUNS,
    );
  });
});

const forbiddenCharacter = fc.oneof(
  fc.constantFrom(',', ' ', '/'),
  // C0 controls and DEL
  fc.oneof(fc.integer({ min: 0, max: 0x1f }), fc.constant(0x7f)).map((code) => String.fromCharCode(code)),
  // Anything beyond ASCII: C1 controls, Latin-1, Cyrillic look-alikes, CJK, emoji…
  fc.integer({ min: 0x80, max: 0x10ffff }).map((code) => String.fromCodePoint(code)),
);

describe('Red5 Pro room names (property)', () => {
  it('refuses any room containing a comma, space, slash, control or non-ASCII character with invalid_claim', async () => {
    const signer = createRed5ProSigner({ secret: SECRET, clock: frozenClock() });
    await fc.assert(
      fc.asyncProperty(
        fc.string({ maxLength: 20 }),
        forbiddenCharacter,
        fc.string({ maxLength: 20 }),
        fc.array(room, { maxLength: 3 }),
        fc.nat(),
        async (before, bad, after, others, position) => {
          const name = `${before}${bad}${after}`;
          expect(isValidName(name)).toBe(false);
          const rooms = [...others];
          rooms.splice(position % (others.length + 1), 0, name);
          const error = await signer.sign({ roles: 'any', transports: 'any', subject: 'alice', rooms }).then(
            () => undefined,
            (reason: unknown) => reason,
          );
          expect(error).toBeInstanceOf(RoomkeyError);
          expect((error as RoomkeyError).code).toBe('invalid_claim');
        },
      ),
      RUNS,
    );
  });

  it('accepts exactly the names NAME_PATTERN accepts, as written in DESIGN.md', () => {
    expect(NAME_PATTERN.source).toBe('^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$');
    fc.assert(
      fc.property(room, (name) => isValidName(name)),
      RUNS,
    );
  });
});
