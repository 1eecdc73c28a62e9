import * as v from 'valibot';
import { createdFromEnv, envValue } from '../env.js';
import type { GrantField, IssuedEntry, RequestField, RoomkeyPlatform, TokenPlatform } from '../platform.js';
import { HttpProblem } from '../problem.js';
import { createTurnCredentialSigner, type TurnCredentialSigner, type TurnCredentialSignerOptions } from './turn.js';
import { explainTurnCredential, parseTurnInput } from './turn-explain.js';
import { checkTurnUrls } from './turn-urls.js';

/**
 * TURN as a platform: the request flag `"turn": true`, the grant field `turn`, the `turn` entry
 * of the answer (`{ iceServers, expiresAt }`), its environment variables and its explanation.
 */
declare module '../grant.js' {
  interface Grant {
    /** TURN credentials (`"turn": true` in a request): given only when `true`. */
    readonly turn?: boolean;
  }
}

declare module '../request.js' {
  interface TokenRequest {
    /** TURN credentials beside (or instead of) the room's tokens. */
    readonly turn?: true;
  }
}

const TURN_REQUEST_MESSAGE = 'turn must be true (leave it out for no TURN credentials)';

/**
 * `"turn": true` in a request: TURN credentials for the signed-in user. A flag: `false` or any
 * other value is refused (400) rather than read as "no", so a client's mistake is seen. Allowed
 * only by a grant with `turn: true` (403 otherwise, closed by omission).
 */
export const TURN_FIELD: RequestField<true> = {
  kind: 'flag',
  check: (value) => (value === true ? true : undefined),
  message: TURN_REQUEST_MESSAGE,
  schema: v.literal(true, TURN_REQUEST_MESSAGE),
  checkGrant(_value, grant) {
    if (grant.turn !== true) throw new HttpProblem('forbidden', 'TURN credentials are not granted to you.');
  },
};

/** `turn` in a grant: `true` allows TURN credentials; absent or `false`, none. */
export const TURN_GRANT_FIELD: GrantField<boolean> = {
  check: (value) => (typeof value === 'boolean' ? value : undefined),
  message: 'grant.turn must be true or false',
  schema: v.boolean('grant.turn must be true or false'),
};

/**
 * The TURN token platform for the issuing pipeline: a `"turn": true` request gets
 * `tokens.turn = { iceServers, expiresAt }` for the identified user. The signer's `ttlMinutes`
 * is the default and the longest lifetime; the grant's `ttlMinutes` caps it, the request's chooses below.
 */
export function turnPlatform(signer: TurnCredentialSigner): TokenPlatform<IssuedEntry> {
  return {
    tokenName: 'turn',
    addressedBy: 'turn',
    maxTtlSeconds: signer.maxTtlSeconds,
    checkUserId: (userId) => signer.checkUserId(userId),
    issue({ identity, ttlSeconds }) {
      const { iceServers, expiresAt } = signer.issue(identity.id, ttlSeconds);
      return { entry: { iceServers }, expiresAt };
    },
  };
}

const isTurnSigner = (value: unknown): value is TurnCredentialSigner =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as Partial<TurnCredentialSigner>).issue === 'function' &&
  typeof (value as Partial<TurnCredentialSigner>).checkUserId === 'function';

/**
 * TURN: option `turn: { secret, urls, ttlMinutes? }` (or a signer from
 * {@link createTurnCredentialSigner}); `"turn": true` gets `tokens.turn = { iceServers, expiresAt }`.
 * Grant field: `turn`. Environment: `TURN_SECRET`, `TURN_URLS` (comma-separated).
 */
export const turnDefinition: RoomkeyPlatform<TurnCredentialSigner | TurnCredentialSignerOptions, 'turn'> = {
  option: 'turn',
  title: 'TURN',
  configure: 'turn: { secret, urls }',
  tokenNames: ['turn'],
  requestFields: { turn: TURN_FIELD },
  grantFields: { turn: TURN_GRANT_FIELD },
  create: (value, { clock }) => [
    turnPlatform(isTurnSigner(value) ? value : createTurnCredentialSigner({ clock, ...value })),
  ],
  env: {
    variables: ['TURN_SECRET', 'TURN_URLS'],
    read(env) {
      const secret = envValue(env, 'TURN_SECRET');
      const list = envValue(env, 'TURN_URLS');
      if (secret === undefined && list === undefined) return undefined;
      if (secret === undefined) throw new Error('TURN_URLS is set but TURN_SECRET is not: set both (or neither)');
      if (list === undefined) {
        throw new Error('TURN_SECRET is set but TURN_URLS is not: set the TURN server URIs, comma-separated');
      }
      const urls = list
        .split(',')
        .map((url) => url.trim())
        .filter((url) => url !== '');
      checkTurnUrls(urls, 'TURN_URLS');
      // The URIs are checked: what the signer still refuses is the secret.
      return createdFromEnv(() => createTurnCredentialSigner({ secret, urls }), {}, 'TURN_SECRET');
    },
  },
  explain(token, { env, now, settings, fallback }) {
    if (fallback) return undefined;
    const pair = parseTurnInput(token.token);
    if (pair === undefined) return undefined;
    // A secret file given to inspect is this secret; otherwise the platform's own variable.
    const fromFile = settings.secretSource === '--secret-file';
    const secret = fromFile ? (settings.secret as string | undefined) : envValue(env, 'TURN_SECRET');
    return explainTurnCredential(pair, secret, fromFile ? '--secret-file' : 'TURN_SECRET', now);
  },
};
