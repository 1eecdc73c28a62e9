import { createHmac, type KeyObject } from 'node:crypto';
import { type Clock, epochSeconds, resolveClock } from '../clock.js';
import { RoomkeyError } from '../errors.js';
import { requestedLifetime } from '../lifetime.js';
import { describeNonCanonicalId } from '../names.js';
import { rejectUnknownOptions } from '../options.js';
import { createHmacSecretKey } from '../secret.js';
import { checkTurnUrls } from './turn-urls.js';

/**
 * The default lifetime of TURN credentials: 12 hours. A TURN client refreshes its allocation
 * (every few minutes), its permissions (every 5 minutes) and its channel bindings with the
 * credentials the allocation was made with, and coturn checks their expiry on each of those
 * requests: when the credentials expire, the relay of a call in progress stops at its next
 * refresh. Browsers never swap the credentials of a running allocation (a new `iceServers`
 * takes effect only at an ICE restart), so the lifetime must outlast the calls it carries,
 * not just the moment of connecting as a room token's does. 12 hours covers a working day of
 * calls or a long event; what a leaked credential gives away in that time is relay
 * bandwidth, never a room (the media server's own token guards the room), and coturn can cap
 * it per user (`user-quota`, `max-bps`). @roomkey/client asks again before expiry, so new
 * connections always start with fresh credentials.
 */
export const TURN_DEFAULT_TTL_MINUTES = 720;
/** At most a week: a longer-lived credential is a static password by another name. */
export const TURN_MAX_TTL_MINUTES = 10_080;
/**
 * STUN's USERNAME must be fewer than 509 bytes of UTF-8 (RFC 8489 §14.3; RFC 5389 said 513), and
 * Chromium's `RTCPeerConnection` throws "TURN server username is too long" beyond 509. The
 * username is `<expiry>` (10 digits until the year 2286), the separator, then the user id:
 * 508 − 11 = 497 bytes are left for the id.
 */
export const TURN_MAX_USER_ID_BYTES = 497;
/** coturn's `rest-api-separator` default. */
export const TURN_DEFAULT_SEPARATOR = ':';

export interface TurnCredentialSignerOptions {
  /** coturn's `static-auth-secret`, exactly as configured (at least 32 bytes, not a sample or a pattern). */
  readonly secret: string | undefined;
  /** The TURN server's URIs: `turn:`, `turns:` and `stun:` (RFC 7064, RFC 7065). At least one `turn:` or `turns:`. */
  readonly urls: readonly string[];
  /** The lifetime of the credentials, default and maximum: default {@link TURN_DEFAULT_TTL_MINUTES}. */
  readonly ttlMinutes?: number;
  /** coturn's `rest-api-separator`, one ASCII punctuation character; default `:`. */
  readonly separator?: string;
  readonly clock?: Clock;
}

/**
 * One entry of `RTCConfiguration.iceServers`, usable as-is by `new RTCPeerConnection`, the Red5
 * WebRTC SDK's `rtcConfiguration` and Vonage's `iceConfig.customServers`.
 */
export interface TurnIceServer {
  urls: string[];
  username?: string;
  credential?: string;
}

/** What the signer issues: the `iceServers` for one user and when their credentials expire. */
export interface TurnCredentials {
  /**
   * The `turn:`/`turns:` URIs with `username` and `credential` first; then, when `stun:` URIs
   * are configured, one entry for them without credentials (STUN binding requests are not
   * authenticated, and a credential is only handed where it is used).
   */
  readonly iceServers: TurnIceServer[];
  readonly expiresAt: Date;
}

export interface TurnCredentialSigner {
  /** The longest lifetime issued, in seconds: `ttlMinutes` × 60. */
  readonly maxTtlSeconds: number;
  readonly separator: string;
  /**
   * Credentials for `userId`: `username` = `<expiry in unix seconds><separator><userId>`,
   * `credential` = base64(HMAC-SHA1(secret, username)), as coturn's `use-auth-secret` checks them.
   * `ttlSeconds` (at least 60) chooses a shorter lifetime; longer is capped at {@link maxTtlSeconds}.
   * Throws a `RoomkeyError` `invalid_claim` for a user id the scheme cannot carry ({@link checkUserId}).
   */
  issue(userId: string, ttlSeconds?: number): TurnCredentials;
  /**
   * Throws a `RoomkeyError` `invalid_claim` when `userId` cannot be part of a TURN username: empty,
   * containing the separator, a control or invisible character, not in canonical Unicode form, or
   * longer than {@link TURN_MAX_USER_ID_BYTES} bytes of UTF-8. Such ids are refused, never encoded:
   * coturn's logs and quotas, and the app, must see the same id. The message never repeats the id.
   */
  checkUserId(userId: string): void;
}

/**
 * Creates a signer of TURN REST API credentials (coturn's `use-auth-secret` with
 * `static-auth-secret`, and any TURN server implementing the same scheme). Options are checked
 * here, once: a weak secret, a malformed URI or an impossible lifetime throws a `TypeError`
 * that says what to fix, never repeating the secret.
 *
 * @example
 * const turn = createTurnCredentialSigner({
 *   secret: process.env.TURN_SECRET,
 *   urls: ['turn:turn.example.com:3478?transport=udp', 'turns:turn.example.com:5349?transport=tcp'],
 * });
 * const { iceServers, expiresAt } = turn.issue('alice');
 * // In the browser: new RTCPeerConnection({ iceServers });
 */
export function createTurnCredentialSigner(options: TurnCredentialSignerOptions): TurnCredentialSigner {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('createTurnCredentialSigner(options): options must be an object with `secret` and `urls`');
  }
  rejectUnknownOptions(options, ['secret', 'urls', 'ttlMinutes', 'separator', 'clock'], 'turn');
  const key = createTurnSecretKey(options.secret, 'secret');
  const urls = checkTurnUrls(options.urls, 'urls');
  const ttlMinutes = options.ttlMinutes ?? TURN_DEFAULT_TTL_MINUTES;
  if (!Number.isInteger(ttlMinutes) || ttlMinutes < 1 || ttlMinutes > TURN_MAX_TTL_MINUTES) {
    throw new TypeError(
      `ttlMinutes must be a whole number of minutes from 1 to ${TURN_MAX_TTL_MINUTES} (a week); ` +
        `leave it out for ${TURN_DEFAULT_TTL_MINUTES} (12 hours, long enough for the calls the relay carries)`,
    );
  }
  const separator = checkSeparator(options.separator);
  const clock = resolveClock(options.clock);
  const maxTtlSeconds = ttlMinutes * 60;
  const checkUserId = (userId: string): void => checkTurnUserId(userId, separator);

  return {
    maxTtlSeconds,
    separator,
    checkUserId,
    issue(userId, ttlSeconds) {
      checkUserId(userId);
      const expiry = epochSeconds(clock) + requestedLifetime(ttlSeconds, maxTtlSeconds);
      const username = `${expiry}${separator}${userId}`;
      const iceServers: TurnIceServer[] = [
        { urls: [...urls.turn], username, credential: turnCredentialFor(key, username) },
      ];
      if (urls.stun.length > 0) iceServers.push({ urls: [...urls.stun] });
      return { iceServers, expiresAt: new Date(expiry * 1000) };
    },
  };
}

/** base64(HMAC-SHA1(secret, username)): the password coturn derives for a TURN REST API username. */
export function turnCredentialFor(key: KeyObject, username: string): string {
  return createHmac('sha1', key).update(username, 'utf8').digest('base64');
}

/**
 * The secret checks every roomkey secret gets, with a message for TURN when it is missing.
 * coturn uses the bytes of `static-auth-secret` as written, as the HMAC key.
 */
export function createTurnSecretKey(secret: unknown, option: string): KeyObject {
  if (secret === undefined) {
    throw new TypeError(
      `${option} is missing: set it to coturn's static-auth-secret (read from the environment, such as TURN_SECRET). ` +
        'Generate one with `openssl rand -base64 32` and configure the same string in turnserver.conf.',
    );
  }
  return createHmacSecretKey(secret, option);
}

function checkSeparator(separator: unknown): string {
  if (separator === undefined) return TURN_DEFAULT_SEPARATOR;
  if (typeof separator !== 'string' || !/^[!-/:-@[-`{-~]$/.test(separator)) {
    throw new TypeError(
      "separator must be one ASCII punctuation character, the same as coturn's rest-api-separator (default ':')",
    );
  }
  return separator;
}

/** The user-id rules of {@link TurnCredentialSigner.checkUserId}, for a given separator. */
export function checkTurnUserId(userId: unknown, separator = TURN_DEFAULT_SEPARATOR): void {
  if (typeof userId !== 'string' || userId.length === 0) {
    throw new RoomkeyError('invalid_claim', 'the TURN user id must be a non-empty string');
  }
  if (userId.includes(separator)) {
    throw new RoomkeyError(
      'invalid_claim',
      `the TURN user id contains "${separator}", the separator of the TURN username <expiry>${separator}<user id>: ` +
        'such ids are refused, not encoded (give users ids without it, or configure another separator on both sides)',
    );
  }
  const flaw = describeNonCanonicalId(userId);
  if (flaw !== undefined) throw new RoomkeyError('invalid_claim', `the TURN user id ${flaw}`);
  const bytes = Buffer.byteLength(userId, 'utf8');
  if (bytes > TURN_MAX_USER_ID_BYTES) {
    throw new RoomkeyError(
      'invalid_claim',
      `the TURN user id is ${bytes} bytes of UTF-8; at most ${TURN_MAX_USER_ID_BYTES} fit in a STUN USERNAME ` +
        '(fewer than 509 bytes with the expiry, RFC 8489)',
    );
  }
}
