import { timingSafeEqual } from 'node:crypto';
import { type Clock, epochSeconds, resolveClock } from '../clock.js';
import { rejectUnknownOptions } from '../options.js';
import { createTurnSecretKey, TURN_DEFAULT_SEPARATOR, turnCredentialFor } from './turn.js';

/** A TURN REST API username and credential, as a client hands them to the TURN server. */
export interface TurnCredentialPair {
  readonly username: string;
  readonly credential: string;
}

export interface VerifyTurnCredentialOptions {
  /** coturn's `static-auth-secret`. Give this or `secrets` (`undefined` counts as not given). */
  readonly secret?: string | undefined;
  /** Several secrets while rotating (coturn accepts each `static-auth-secret` line): the current one first. */
  readonly secrets?: readonly string[];
  /** coturn's `rest-api-separator`; default `:`. */
  readonly separator?: string;
  readonly clock?: Clock;
}

/**
 * What coturn would make of a credential pair:
 * - `valid`: the signature matches a secret and the expiry has not passed;
 * - `expired`: the signature matches, but coturn refuses it from `expiresAt` on;
 * - `signature_invalid`: made with another secret, or altered (`expiresAt` and `userId` are then
 *   only what the username claims);
 * - `malformed`: not `<expiry><separator><user id>` with a base64 HMAC-SHA1.
 */
export interface TurnCredentialVerdict {
  readonly status: 'valid' | 'expired' | 'signature_invalid' | 'malformed';
  /** What was found, in words; never the credential or a secret. */
  readonly message: string;
  /** The expiry written in the username (absent when malformed). */
  readonly expiresAt?: Date;
  /** The user id written in the username (absent when malformed). */
  readonly userId?: string;
  /** Which of `secrets` signed it (0 for `secret`), when the signature matches. */
  readonly secretIndex?: number;
}

/** Twenty bytes of HMAC-SHA1 in padded base64. */
const CREDENTIAL = /^[A-Za-z0-9+/]{27}=$/;

/**
 * Checks a TURN username and credential as coturn does with `use-auth-secret`: the credential
 * must be base64(HMAC-SHA1(secret, username)) for one of the secrets, and the expiry in the
 * username must not have passed (coturn accepts it up to and including that second). Returns
 * a verdict rather than throwing, so that `roomkey inspect` can say everything it found.
 *
 * @example
 * const verdict = verifyTurnCredential({ username, credential }, { secret: process.env.TURN_SECRET });
 * if (verdict.status !== 'valid') console.log(verdict.message);
 */
export function verifyTurnCredential(
  pair: TurnCredentialPair,
  options: VerifyTurnCredentialOptions,
): TurnCredentialVerdict {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('verifyTurnCredential(pair, options): options must be an object with `secret` or `secrets`');
  }
  rejectUnknownOptions(options, ['secret', 'secrets', 'separator', 'clock'], 'verifyTurnCredential');
  const keys = secretKeys(options);
  const separator = options.separator ?? TURN_DEFAULT_SEPARATOR;
  const clock = resolveClock(options.clock);
  const { username, credential } = (
    typeof pair === 'object' && pair !== null ? pair : {}
  ) as Partial<TurnCredentialPair>;
  if (typeof username !== 'string' || typeof credential !== 'string') {
    return { status: 'malformed', message: 'give the username and the credential, both strings' };
  }
  const parsed = parseTurnUsername(username, separator);
  if (parsed === undefined) {
    return {
      status: 'malformed',
      message: `the username is not <expiry in unix seconds>${separator}<user id>, as the TURN REST API writes it`,
    };
  }
  const { expiresAt, userId } = parsed;
  const expiry = expiresAt.getTime() / 1000;
  if (!CREDENTIAL.test(credential)) {
    return {
      status: 'malformed',
      message: 'the credential is not base64 of 20 bytes (an HMAC-SHA1), as the TURN REST API writes it',
      expiresAt,
      userId,
    };
  }
  // Compared as text, as coturn does: the base64 string itself is the password that keys
  // STUN's MESSAGE-INTEGRITY, so another spelling of the same bytes is another password.
  const given = Buffer.from(credential, 'latin1');
  const secretIndex = keys.findIndex((key) =>
    timingSafeEqual(Buffer.from(turnCredentialFor(key, username), 'latin1'), given),
  );
  if (secretIndex < 0) {
    return {
      status: 'signature_invalid',
      message: 'the credential does not match the secret: it was made with another secret, or altered',
      expiresAt,
      userId,
    };
  }
  if (epochSeconds(clock) > expiry) {
    return {
      status: 'expired',
      message: 'the signature matches, but the credentials have expired',
      expiresAt,
      userId,
      secretIndex,
    };
  }
  return {
    status: 'valid',
    message: 'the signature matches and the credentials have not expired',
    expiresAt,
    userId,
    secretIndex,
  };
}

/**
 * The expiry and user id a TURN REST API username states (unverified: anyone can write a
 * username), or `undefined` when it is not `<expiry in unix seconds><separator><user id>`.
 * Split at the first separator, as coturn does.
 */
export function parseTurnUsername(
  username: string,
  separator = TURN_DEFAULT_SEPARATOR,
): { readonly expiresAt: Date; readonly userId: string } | undefined {
  const at = username.indexOf(separator);
  if (at < 0) return undefined;
  const expiry = username.slice(0, at);
  const userId = username.slice(at + 1);
  // coturn reads an expiry of 0 as "no expiry": roomkey never issues one, and calls it malformed.
  if (!/^[1-9]\d{0,11}$/.test(expiry) || userId === '') return undefined;
  return { expiresAt: new Date(Number(expiry) * 1000), userId };
}

function secretKeys(options: VerifyTurnCredentialOptions) {
  const { secret, secrets } = options;
  if ((secret === undefined) === (secrets === undefined)) {
    throw new TypeError('give exactly one of `secret` (a string) or `secrets` (a non-empty array of strings)');
  }
  if (secrets === undefined) return [createTurnSecretKey(secret, 'secret')];
  if (!Array.isArray(secrets) || secrets.length === 0) {
    throw new TypeError('secrets must be a non-empty array of strings: the current secret first');
  }
  return secrets.map((value, index) => createTurnSecretKey(value, `secrets[${index}]`));
}
