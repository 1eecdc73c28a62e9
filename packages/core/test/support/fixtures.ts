import { createHmac } from 'node:crypto';
import { inspect } from 'node:util';
import jwt from 'jsonwebtoken';
import { expect } from 'vitest';
import {
  type Clock,
  createRed5ProSigner,
  createRed5ProVerifier,
  generateSecret,
  type Red5ProSigner,
  type Red5ProSignerOptions,
  type Red5ProVerifier,
  type Red5ProVerifierOptions,
  RoomkeyError,
  type RoomkeyErrorCode,
} from '../../src/index.js';

/** The instant every test lives in, unless it moves the clock on purpose. */
export const NOW_MS = Date.parse('2026-11-22T07:00:00.000Z');
export const NOW_S = NOW_MS / 1000;

/** A clock that never moves: `now()` always answers `ms`. */
export function frozenClock(ms: number = NOW_MS): Clock {
  return { now: () => ms };
}

/** Two unrelated strong secrets, fresh for each test file. */
export const SECRET = generateSecret();
export const OTHER_SECRET = generateSecret();

/** The sample secret printed in Red5's documentation (seed 001). */
export const SAMPLE_SECRET = 'changeme-to-a-strong-32-byte-secret-key';

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

export function makeSigner(options: Partial<Red5ProSignerOptions> = {}): Red5ProSigner {
  return createRed5ProSigner({ secret: SECRET, clock: frozenClock(), ...options });
}

export function makeVerifier(options: Partial<Red5ProVerifierOptions> = {}): Red5ProVerifier {
  const base: Red5ProVerifierOptions =
    options.secrets === undefined ? { secret: SECRET, clock: frozenClock() } : { clock: frozenClock() };
  return createRed5ProVerifier({ ...base, ...options });
}

/** base64url of the JSON text of `value`, as a JWS segment. */
export function segment(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export function splitToken(token: string): [header: string, payload: string, signature: string] {
  const parts = token.split('.');
  expect(parts).toHaveLength(3);
  return parts as [string, string, string];
}

/** HMAC of `header.payload` under `secret` (its UTF-8 bytes), base64url: builds tokens by hand. */
export function hmacSegment(signingInput: string, secret: string, hash: 'sha256' | 'sha384' | 'sha512' = 'sha256') {
  return createHmac(hash, Buffer.from(secret, 'utf8')).update(signingInput).digest('base64url');
}

/** A token signed by hand with HS256 over exactly the header and payload given. */
export function handSignedToken(header: object, payload: object, secret: string = SECRET): string {
  const signingInput = `${segment(header)}.${segment(payload)}`;
  return `${signingInput}.${hmacSegment(signingInput, secret)}`;
}

/**
 * A token made by jsonwebtoken (code nobody here wrote), for claims our signer refuses to
 * produce. `iat` is never added implicitly, so the payload is exactly what is given.
 */
export function jsonwebtokenToken(payload: object, secret: string = SECRET): string {
  return jwt.sign(payload, secret, { algorithm: 'HS256', noTimestamp: true });
}

/** Checks a token the way a third-party HS256 consumer would, at the frozen instant. */
export function verifyWithJsonwebtoken(token: string, secret: string | Buffer = SECRET, clockTimestamp = NOW_S) {
  return jwt.verify(token, secret, { algorithms: ['HS256'], clockTimestamp }) as jwt.JwtPayload;
}

/** Every error the helpers below caught in this test file, for the leak checks. */
export const caughtErrors: unknown[] = [];

/** Runs `action` (sync or async) and returns what it threw; fails the test when it did not throw. */
export async function caught(action: () => unknown): Promise<unknown> {
  try {
    await action();
  } catch (error) {
    caughtErrors.push(error);
    return error;
  }
  expect.unreachable('expected an error, but the call succeeded');
}

/** Asserts that `action` fails with a RoomkeyError carrying `code`, and returns it. */
export async function expectRoomkeyError(action: () => unknown, code: RoomkeyErrorCode): Promise<RoomkeyError> {
  const error = await caught(action);
  expect(error).toBeInstanceOf(RoomkeyError);
  expect((error as RoomkeyError).code).toBe(code);
  expect((error as RoomkeyError).name).toBe('RoomkeyError');
  return error as RoomkeyError;
}

/** Asserts that `action` fails with a TypeError whose message matches `message`, and returns it. */
export async function expectTypeError(action: () => unknown, message?: RegExp): Promise<TypeError> {
  const error = await caught(action);
  expect(error).toBeInstanceOf(TypeError);
  if (message !== undefined) expect((error as TypeError).message).toMatch(message);
  return error as TypeError;
}

/** Everything an error could show a log: message, stack, cause and own properties. */
export function errorText(error: unknown): string {
  if (!(error instanceof Error)) return inspect(error);
  return [error.message, error.stack ?? '', inspect(error, { depth: 8, showHidden: true })].join('\n');
}

/**
 * Asserts that no error text holds any of `sensitive` (a secret, a token, or a token's payload
 * or signature segment, which on their own already disclose or replay a token).
 */
export function expectNoLeak(errors: readonly unknown[], sensitive: readonly string[]): void {
  const fragments = sensitive.flatMap((value) => {
    const parts = value.split('.');
    // A token: check the whole token and its payload and signature segments; the header is public.
    return parts.length === 3 ? [value, ...parts.slice(1).filter((part) => part.length >= 16)] : [value];
  });
  for (const error of errors) {
    const text = errorText(error);
    for (const fragment of fragments) {
      if (text.includes(fragment)) {
        expect.unreachable(`an error (${(error as Error).message}) discloses a secret or token fragment`);
      }
    }
  }
}
