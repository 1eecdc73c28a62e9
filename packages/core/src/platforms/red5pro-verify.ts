import { webcrypto } from 'node:crypto';
import { type JWTPayload, errors as joseErrors, jwtVerify } from 'jose';
import { type Clock, resolveClock } from '../clock.js';
import { RoomkeyError } from '../errors.js';
import { upperCaseAscii } from '../names.js';
import { rejectUnknownOptions } from '../options.js';
import { createHmacSecretKey } from '../secret.js';
import type { Red5ProRole } from './red5pro.js';

/** What the bearer is about to do; each field is checked the way Red5 Pro checks it. */
export interface Red5ProRequirement {
  /** `publisher` needs `red5-publisher`, `subscriber` needs `red5-subscriber` (or no `roles`). */
  readonly role?: 'publisher' | 'subscriber';
  /** Compared case-insensitively with `red5-transport`. */
  readonly transport?: string;
  /** Compared exactly (case-sensitively) with each entry of `red5-room`. */
  readonly room?: string;
}

export interface Red5ProVerifierOptions {
  /** The server's JWT secret. Give `secret` or `secrets`, not both. */
  readonly secret?: string | undefined;
  /** Several secrets, tried in order: the current and the previous during a rotation overlap. */
  readonly secrets?: readonly string[];
  /** When set, `iss` must equal it exactly (the server's `expectedIssuer`). */
  readonly expectedIssuer?: string;
  /** The server's `jwtTtlMinutes`: `exp` may lie at most this far ahead. */
  readonly ttlMinutes?: number;
  /** Leeway for `exp`, `nbf` and the TTL check. Default 0. */
  readonly clockToleranceSeconds?: number;
  readonly clock?: Clock;
}

export interface VerifyRed5ProTokenOptions extends Red5ProVerifierOptions {
  readonly require?: Red5ProRequirement;
}

/** A token that passed every check, with its claims read the way Red5 Pro reads them. */
export interface VerifiedRed5ProToken {
  readonly subject: string | undefined;
  readonly issuer: string | undefined;
  readonly name: string | undefined;
  /** The roles the token grants; `undefined` when the claim is missing or empty (both allowed). */
  readonly roles: readonly Red5ProRole[] | undefined;
  /** Upper-cased; `undefined` when the claim is missing (any transport). */
  readonly transports: readonly string[] | undefined;
  /** `undefined` when the claim is missing (any room). */
  readonly rooms: readonly string[] | undefined;
  readonly expiresAt: Date;
  /** Every claim, as decoded. */
  readonly payload: JWTPayload;
}

export interface Red5ProVerifier {
  verify(token: string, require?: Red5ProRequirement): Promise<VerifiedRed5ProToken>;
}

/**
 * Creates a verifier that applies Red5 Pro's validation process (signature, expiry, issuer,
 * TTL, role, transport, room). Secrets are checked and imported once, here.
 *
 * @example
 * const verifier = createRed5ProVerifier({ secrets: [current, previous], ttlMinutes: 60 });
 * await verifier.verify(token, { role: 'publisher', room: 'room1', transport: 'whip' });
 */
export function createRed5ProVerifier(options: Red5ProVerifierOptions): Red5ProVerifier {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('options must be an object with `secret` or `secrets`');
  }
  rejectUnknownOptions(options, VERIFIER_OPTIONS, 'createRed5ProVerifier');
  const keys = importKeys(options);
  const clock = resolveClock(options.clock);
  const { expectedIssuer } = options;
  if (expectedIssuer !== undefined && (typeof expectedIssuer !== 'string' || expectedIssuer.length === 0)) {
    throw new TypeError('expectedIssuer must be a non-empty string');
  }
  const ttlMinutes = options.ttlMinutes;
  if (ttlMinutes !== undefined && !(Number.isInteger(ttlMinutes) && ttlMinutes >= 1)) {
    throw new TypeError("ttlMinutes must be a whole number of minutes, at least 1 (the server's jwtTtlMinutes)");
  }
  const tolerance = options.clockToleranceSeconds ?? 0;
  if (!Number.isInteger(tolerance) || tolerance < 0) {
    throw new TypeError('clockToleranceSeconds must be a whole number of seconds, 0 or more');
  }

  return {
    async verify(token, require) {
      if (typeof token !== 'string') throw new RoomkeyError('malformed', 'the token must be a string');
      const nowMs = clock.now();
      const payload = await verifySignatureAndTime(token, await keys, {
        algorithms: ['HS256'],
        requiredClaims: ['exp'],
        clockTolerance: tolerance,
        currentDate: new Date(nowMs),
        ...(expectedIssuer !== undefined && { issuer: expectedIssuer }),
      });
      const exp = payload.exp as number;
      if (ttlMinutes !== undefined && exp - Math.floor(nowMs / 1000) > ttlMinutes * 60 + tolerance) {
        throw new RoomkeyError('ttl_exceeded', `exp lies more than ${ttlMinutes} minutes ahead`);
      }
      const verified = readClaims(payload);
      if (require !== undefined) checkRequirement(verified, require);
      return verified;
    },
  };
}

/**
 * Verifies a Red5 Pro token once. For many tokens, create a verifier with
 * {@link createRed5ProVerifier} so the secrets are imported only once.
 *
 * @example
 * const { subject } = await verifyRed5ProToken(token, { secret, require: { role: 'subscriber', room: 'room1' } });
 */
export function verifyRed5ProToken(token: string, options: VerifyRed5ProTokenOptions): Promise<VerifiedRed5ProToken> {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('options must be an object with `secret` or `secrets`');
  }
  rejectUnknownOptions(options, [...VERIFIER_OPTIONS, 'require'], 'verifyRed5ProToken');
  const { require, ...verifierOptions } = options;
  return createRed5ProVerifier(verifierOptions).verify(token, require);
}

const VERIFIER_OPTIONS = ['secret', 'secrets', 'expectedIssuer', 'ttlMinutes', 'clockToleranceSeconds', 'clock'];

type VerifyOptions = Parameters<typeof jwtVerify>[2];

function importKeys(options: Red5ProVerifierOptions): Promise<webcrypto.CryptoKey[]> {
  const { secret, secrets } = options;
  if ((secret === undefined) === (secrets === undefined)) {
    throw new TypeError('give exactly one of `secret` (a string) or `secrets` (a non-empty array of strings)');
  }
  let list: readonly unknown[];
  if (secrets !== undefined) {
    if (!Array.isArray(secrets) || secrets.length === 0) {
      throw new TypeError('secrets must be a non-empty array of strings: the current secret first');
    }
    list = secrets;
  } else {
    list = [secret];
  }
  const raw = list.map((value, index) =>
    createHmacSecretKey(value, secrets === undefined ? 'secret' : `secrets[${index}]`).export(),
  );
  const imported = Promise.all(
    raw.map((bytes) => webcrypto.subtle.importKey('raw', bytes, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify'])),
  );
  // Surface an import failure at the first verify, not as an unhandled rejection.
  imported.catch(() => {});
  return imported;
}

async function verifySignatureAndTime(
  token: string,
  keys: readonly webcrypto.CryptoKey[],
  options: VerifyOptions,
): Promise<JWTPayload> {
  for (const key of keys) {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key, options));
    } catch (error) {
      if (error instanceof joseErrors.JWSSignatureVerificationFailed) continue;
      throw translate(error);
    }
    // jose decodes base64url leniently (the unused low bits of the last character and `=` padding
    // are ignored), so altered strings would pass with the same signature: only the canonical form counts.
    if (!isCanonicalBase64url(token.slice(token.lastIndexOf('.') + 1))) break;
    return payload;
  }
  throw new RoomkeyError('signature_invalid', 'the signature does not verify with any configured secret');
}

function isCanonicalBase64url(segment: string): boolean {
  return /^[A-Za-z0-9_-]*$/.test(segment) && Buffer.from(segment, 'base64url').toString('base64url') === segment;
}

/** jose's errors become roomkey codes; jose's own error (which holds the payload) is dropped. */
function translate(error: unknown): RoomkeyError {
  if (error instanceof joseErrors.JWTExpired) return new RoomkeyError('token_expired', 'the token has expired');
  if (error instanceof joseErrors.JOSEAlgNotAllowed) {
    return new RoomkeyError('signature_invalid', 'the token is not signed with HS256');
  }
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'iss') return new RoomkeyError('issuer_mismatch', 'iss is not the expected issuer');
    if (error.claim === 'nbf' && error.reason === 'check_failed') {
      return new RoomkeyError('not_yet_valid', 'the token is not valid yet (nbf)');
    }
    return new RoomkeyError(
      'malformed',
      `the ${error.claim} claim is ${error.reason === 'missing' ? 'missing' : 'invalid'}`,
    );
  }
  return new RoomkeyError('malformed', 'the token is not a well-formed HS256 JWT');
}

function splitList(payload: JWTPayload, claim: string): string[] | undefined {
  const value = payload[claim];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new RoomkeyError('malformed', `the ${claim} claim must be a string`);
  return value.split(',');
}

function optionalString(payload: JWTPayload, claim: string): string | undefined {
  const value = payload[claim];
  if (value === undefined || typeof value === 'string') return value;
  throw new RoomkeyError('malformed', `the ${claim} claim must be a string`);
}

function readClaims(payload: JWTPayload): VerifiedRed5ProToken {
  const roles = splitList(payload, 'roles');
  return {
    subject: optionalString(payload, 'sub'),
    issuer: optionalString(payload, 'iss'),
    name: optionalString(payload, 'name'),
    // Missing or empty: Red5 Pro lets the bearer publish and subscribe. Otherwise only the exact
    // lower-case names count; anything else in the list grants nothing.
    roles:
      roles === undefined || (roles.length === 1 && roles[0] === '')
        ? undefined
        : roles.filter((role): role is Red5ProRole => role === 'red5-publisher' || role === 'red5-subscriber'),
    transports: splitList(payload, 'red5-transport')?.map(upperCaseAscii),
    rooms: splitList(payload, 'red5-room'),
    expiresAt: new Date((payload.exp as number) * 1000),
    payload,
  };
}

function checkRequirement(token: VerifiedRed5ProToken, require: Red5ProRequirement): void {
  if (require.role !== undefined) {
    if (require.role !== 'publisher' && require.role !== 'subscriber') {
      throw new TypeError("require.role must be 'publisher' or 'subscriber'");
    }
    if (token.roles !== undefined && !token.roles.includes(`red5-${require.role}`)) {
      throw new RoomkeyError('role_denied', `the token does not allow the ${require.role} role`);
    }
  }
  if (require.transport !== undefined && token.transports !== undefined) {
    if (!token.transports.includes(upperCaseAscii(String(require.transport)))) {
      throw new RoomkeyError('transport_denied', 'the token does not allow this transport');
    }
  }
  if (require.room !== undefined && token.rooms !== undefined && !token.rooms.includes(require.room)) {
    throw new RoomkeyError('room_denied', 'the token does not allow this room');
  }
}
