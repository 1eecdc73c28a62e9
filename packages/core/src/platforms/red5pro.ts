import * as v from 'valibot';
import { type Clock, epochSeconds, resolveClock } from '../clock.js';
import { createdFromEnv, envValue, wholeNumberFrom } from '../env.js';
import { RoomkeyError } from '../errors.js';
import { ROOM_FIELD, ROOMS_FIELD, textField } from '../fields.js';
import type { Grant } from '../grant.js';
import { createHs256Signer, randomJwtId } from '../jws.js';
import { MIN_TTL_SECONDS, requestedLifetime } from '../lifetime.js';
import { ASCII_LETTERS, hasControlCharacter, joinNameList } from '../names.js';
import { rejectUnknownOptions } from '../options.js';
import {
  type GrantField,
  type IssuedToken,
  type PlatformIssueInput,
  type RequestField,
  type RoomkeyPlatform,
  signerFrom,
  type TokenPlatform,
} from '../platform.js';
import { HttpProblem } from '../problem.js';
import type { Role } from '../roles.js';
import { createHmacSecretKey } from '../secret.js';
import { explainRed5ProToken, type Red5ProSettings } from './red5pro-explain.js';

/** Values of the Red5 Pro `roles` claim. Red5 Pro only honours them in lower case. */
export const RED5PRO_ROLES = ['red5-publisher', 'red5-subscriber'] as const;
export type Red5ProRole = (typeof RED5PRO_ROLES)[number];

/** Values of the Red5 Pro `red5-transport` claim, as written into tokens. */
export const RED5PRO_TRANSPORTS = ['RTMP', 'RTSP', 'WHIP', 'WHEP'] as const;
export type Red5ProTransport = (typeof RED5PRO_TRANSPORTS)[number];

/** How roomkey roles map onto the Red5 Pro `roles` claim (the role table in the README). */
export const RED5PRO_ROLE_MAP: Readonly<Record<Role, readonly Red5ProRole[]>> = Object.freeze({
  subscriber: ['red5-subscriber'],
  'publisher-only': ['red5-publisher'],
  publisher: ['red5-publisher', 'red5-subscriber'],
  moderator: ['red5-publisher', 'red5-subscriber'],
});

export interface Red5ProSignerOptions {
  /** The JWT secret exactly as configured on the Red5 Pro server (at least 32 bytes of UTF-8). */
  readonly secret: string | undefined;
  /** Written as `iss`; set it when the server is configured with `expectedIssuer`. */
  readonly issuer?: string;
  /** The server's `jwtTtlMinutes`. Default 60. */
  readonly maxTtlMinutes?: number;
  /** How far behind the server's clock may run. Default 30. */
  readonly clockSkewSeconds?: number;
  readonly clock?: Clock;
}

/**
 * What a Red5 Pro token may allow. Red5 Pro reads an absent `roles`, `red5-transport` or
 * `red5-room` claim as "anything", so each of the three must be given: a list, or `'any'` to
 * leave the claim out on purpose. Leaving a field out is an error, never a wider token.
 */
export interface Red5ProSignInput {
  /** `sub`: the user id. */
  readonly subject: string;
  /** `name`: a display name. Personal data: only set it when the app means to. */
  readonly name?: string;
  /** `roles`, or `'any'` (no claim: the server lets the bearer publish and subscribe). */
  readonly roles: readonly Red5ProRole[] | 'any';
  /** `red5-transport`, case-insensitive in, upper case out; or `'any'` (no claim: any transport). */
  readonly transports: readonly string[] | 'any';
  /** `red5-room`, matched exactly by the server; or `'any'` (no claim: any room). */
  readonly rooms: readonly string[] | 'any';
  /** Requested lifetime; default and maximum {@link Red5ProSigner.maxTtlSeconds}, minimum 60. */
  readonly ttlSeconds?: number;
}

/** The claims of a Red5 Pro token, in the order they are written. */
export interface Red5ProClaims {
  readonly sub: string;
  readonly iss?: string;
  readonly name?: string;
  readonly roles?: string;
  readonly 'red5-transport'?: string;
  readonly 'red5-room'?: string;
  readonly iat: number;
  readonly exp: number;
  readonly jti: string;
}

export interface SignedToken<Claims> extends IssuedToken {
  readonly claims: Claims;
}

export interface Red5ProSigner {
  /** The longest lifetime this signer issues: `maxTtlMinutes` × 60 − `clockSkewSeconds`. */
  readonly maxTtlSeconds: number;
  readonly issuer: string | undefined;
  sign(input: Red5ProSignInput): Promise<SignedToken<Red5ProClaims>>;
}

/** Shortest lifetime Red5 Pro documents as practical. */
export const RED5PRO_MIN_TTL_SECONDS = MIN_TTL_SECONDS;
const MAX_TEXT_CLAIM = 256;

/**
 * Creates a Red5 Pro JWT signer (HS256). Options are checked here, once: a weak secret or an
 * impossible lifetime throws a `TypeError` that says what to fix.
 *
 * @example
 * const signer = createRed5ProSigner({ secret: process.env.RED5PRO_JWT_SECRET! });
 * const { token, expiresAt } = await signer.sign({
 *   subject: 'viewer456', roles: ['red5-subscriber'], transports: ['WHEP'], rooms: ['public-event'],
 * });
 * // 'any' leaves a claim out on purpose: this token allows every transport.
 * await signer.sign({ subject: 'viewer456', roles: ['red5-subscriber'], transports: 'any', rooms: ['lobby'] });
 */
export function createRed5ProSigner(options: Red5ProSignerOptions): Red5ProSigner {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('createRed5ProSigner(options): options must be an object with at least `secret`');
  }
  rejectUnknownOptions(options, ['secret', 'issuer', 'maxTtlMinutes', 'clockSkewSeconds', 'clock'], 'red5pro');
  const signJws = createHs256Signer(createHmacSecretKey(options.secret, 'secret'));
  const issuer = checkIssuer(options.issuer);
  const maxTtlMinutes = options.maxTtlMinutes ?? 60;
  if (!Number.isInteger(maxTtlMinutes) || maxTtlMinutes < 1) {
    throw new TypeError(
      "maxTtlMinutes must be a whole number of minutes, at least 1: set it to the Red5 Pro server's jwtTtlMinutes",
    );
  }
  const clockSkewSeconds = options.clockSkewSeconds ?? 30;
  if (!Number.isInteger(clockSkewSeconds) || clockSkewSeconds < 0) {
    throw new TypeError('clockSkewSeconds must be a whole number of seconds, 0 or more');
  }
  const maxTtlSeconds = maxTtlMinutes * 60 - clockSkewSeconds;
  if (maxTtlSeconds < RED5PRO_MIN_TTL_SECONDS) {
    throw new TypeError(
      `maxTtlMinutes × 60 − clockSkewSeconds must leave at least ${RED5PRO_MIN_TTL_SECONDS} seconds of lifetime; ` +
        'raise maxTtlMinutes or lower clockSkewSeconds',
    );
  }
  const clock = resolveClock(options.clock);

  const signNow = (input: Red5ProSignInput): SignedToken<Red5ProClaims> => {
    const claims = buildClaims(input, issuer, maxTtlSeconds, epochSeconds(clock));
    return { token: signJws(claims), expiresAt: new Date(claims.exp * 1000), claims };
  };
  const signer: Red5ProSigner = {
    maxTtlSeconds,
    issuer,
    async sign(input) {
      return signNow(input);
    },
  };
  SIGN_NOW.set(signer, signNow);
  return signer;
}

/**
 * The synchronous signing of each signer made here. HMAC signing does not wait for anything,
 * so the issuing pipeline calls this directly rather than through `sign`'s promise.
 */
const SIGN_NOW = new WeakMap<Red5ProSigner, (input: Red5ProSignInput) => SignedToken<Red5ProClaims>>();

function buildClaims(
  input: Red5ProSignInput,
  issuer: string | undefined,
  maxTtlSeconds: number,
  now: number,
): Red5ProClaims {
  if (typeof input !== 'object' || input === null) {
    throw new RoomkeyError('invalid_claim', 'sign(input): input must be an object with at least `subject`');
  }
  const ttl = requestedLifetime(input.ttlSeconds, maxTtlSeconds);
  // Written in the order seed 001 shows; a claim given as 'any' is left out, never written empty.
  const claims: Record<string, string | number> = { sub: checkText(input.subject, 'subject') };
  if (issuer !== undefined) claims.iss = issuer;
  if (input.name !== undefined) claims.name = checkText(input.name, 'name');
  const roles = listOrAny(input.roles, 'roles', (list) => joinKnown(list, ROLE_VALUES));
  if (roles !== undefined) claims.roles = roles;
  const transports = listOrAny(input.transports, 'transports', (list) => joinKnown(list, TRANSPORT_VALUES));
  if (transports !== undefined) claims['red5-transport'] = transports;
  const rooms = listOrAny(input.rooms, 'rooms', (list) => joinNameList(list, 'rooms'));
  if (rooms !== undefined) claims['red5-room'] = rooms;
  claims.exp = now + ttl;
  claims.iat = now;
  claims.jti = randomJwtId();
  return claims as unknown as Red5ProClaims;
}

function checkIssuer(issuer: unknown): string | undefined {
  if (issuer === undefined) return undefined;
  if (
    typeof issuer !== 'string' ||
    issuer.length === 0 ||
    issuer.length > MAX_TEXT_CLAIM ||
    hasControlCharacter(issuer)
  ) {
    throw new TypeError(
      `issuer must be a non-empty string of at most ${MAX_TEXT_CLAIM} characters without control characters ` +
        "(the Red5 Pro server's expectedIssuer)",
    );
  }
  return issuer;
}

function checkText(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new RoomkeyError('invalid_claim', `${field} must be a non-empty string`);
  }
  if (value.length > MAX_TEXT_CLAIM || hasControlCharacter(value)) {
    throw new RoomkeyError(
      'invalid_claim',
      `${field} must be at most ${MAX_TEXT_CLAIM} characters without control characters`,
    );
  }
  return value;
}

/**
 * A list claim: `undefined` (the claim left out) for `'any'`, else the joined list. An absent
 * field or an empty list would also leave the claim out, which the server reads as "any":
 * both are refused, so that "any" is only ever a choice written out.
 */
function listOrAny(value: unknown, field: string, join: (list: unknown) => string): string | undefined {
  if (value === 'any') return undefined;
  if (value === undefined) {
    throw new RoomkeyError(
      'invalid_claim',
      `${field} is missing: list what the token allows, or give ${field}: 'any' to leave the claim out`,
    );
  }
  const joined = join(value);
  if (joined === '') {
    throw new RoomkeyError('invalid_claim', `${field} must not be empty: list at least one, or say 'any'`);
  }
  return joined;
}

/**
 * A claim listing some of a few known values (roles, transports), in the order given without
 * duplicates. Speed: this runs for every token, so instead of a Set, a spread and a join, a
 * plain loop keeps the values seen in a bit mask and looks the claim up among all those the
 * list can make (each ordering of each subset, joined up front: 4 for roles, 64 for transports).
 */
interface KnownValues {
  readonly field: string;
  /** Each accepted spelling of a value → the value's position. */
  readonly positions: ReadonlyMap<unknown, number>;
  readonly message: string;
  /** Each claim by its key: the positions listed, plus one each, as digits in base `base`. */
  readonly claims: ReadonlyMap<number, string>;
  readonly base: number;
}

const ROLE_VALUES: KnownValues = {
  field: 'roles',
  positions: new Map(RED5PRO_ROLES.map((role, index) => [role, index])),
  message: `roles may only hold ${RED5PRO_ROLES.join(' and ')}`,
  claims: everyClaim(RED5PRO_ROLES),
  base: RED5PRO_ROLES.length + 1,
};

const TRANSPORT_VALUES: KnownValues = {
  field: 'transports',
  // Every ASCII spelling of each name (`whip`, `Whip`, `wHiP`…): one lookup for any of them,
  // and nothing else (not `whıp` with a dotless i, which toUpperCase() would make `WHIP`).
  positions: new Map(
    RED5PRO_TRANSPORTS.flatMap((transport, index) =>
      spellings(transport).map((spelling) => [spelling, index] as const),
    ),
  ),
  message: `transports may only hold ${RED5PRO_TRANSPORTS.join(', ')}`,
  claims: everyClaim(RED5PRO_TRANSPORTS),
  base: RED5PRO_TRANSPORTS.length + 1,
};

/** `name` in every mix of upper and lower case letters. */
function spellings(name: string): string[] {
  let all = [''];
  for (const letter of name) {
    const cases = letter === letter.toLowerCase() ? [letter] : [letter, letter.toLowerCase()];
    all = all.flatMap((start) => cases.map((next) => start + next));
  }
  return all;
}

/** The claim for every non-empty list of distinct `values`, by key (see {@link KnownValues}). */
function everyClaim(values: readonly string[]): Map<number, string> {
  const claims = new Map<number, string>();
  const extend = (key: number, listed: readonly number[]) => {
    for (let position = 0; position < values.length; position++) {
      if (listed.includes(position)) continue;
      const longer = [...listed, position];
      const longerKey = key * (values.length + 1) + position + 1;
      claims.set(longerKey, longer.map((index) => values[index]).join(','));
      extend(longerKey, longer);
    }
  };
  extend(0, []);
  return claims;
}

/** Checks a list of known values and returns its claim ('' for an empty list). */
function joinKnown(entries: unknown, known: KnownValues): string {
  if (!Array.isArray(entries)) throw new RoomkeyError('invalid_claim', `${known.field} must be an array`);
  let seen = 0;
  let key = 0;
  for (let i = 0; i < entries.length; i++) {
    const position = known.positions.get(entries[i]);
    if (position === undefined) throw new RoomkeyError('invalid_claim', known.message);
    if ((seen & (1 << position)) === 0) {
      seen |= 1 << position;
      key = key * known.base + position + 1;
    }
  }
  return key === 0 ? '' : (known.claims.get(key) as string);
}

/**
 * The Red5 Pro token platform for the issuing pipeline: a room request gets a token for that
 * room alone, with the role mapped as the README's role table says and the grant's transports and name.
 */
export function red5ProPlatform(signer: Red5ProSigner): TokenPlatform<IssuedToken> {
  return {
    tokenName: 'red5pro',
    addressedBy: 'room',
    maxTtlSeconds: signer.maxTtlSeconds,
    checkUserId: (userId) => void checkText(userId, 'the user id (sub)'),
    issue(input: PlatformIssueInput) {
      // The requested transports (checked against the grant), else the granted ones; none: refused.
      const transports = input.request?.transports ?? input.transports ?? input.grant.transports ?? [];
      if (transports !== 'any' && transports.length === 0) {
        throw new HttpProblem(
          'forbidden',
          'No Red5 Pro transports are granted to you (the grant lists none): a Red5 Pro token needs at least one.',
        );
      }
      const sign = SIGN_NOW.get(signer) ?? ((signInput: Red5ProSignInput) => signer.sign(signInput));
      return sign({
        subject: input.identity.id,
        roles: RED5PRO_ROLE_MAP[input.role],
        rooms: [input.target],
        transports,
        ...(input.grant.name !== undefined && { name: input.grant.name }),
        ttlSeconds: input.ttlSeconds,
      });
    },
  };
}

const TRANSPORT_SET: ReadonlySet<string> = new Set(RED5PRO_TRANSPORTS);

/** A transport name in any ASCII case, upper-cased; `undefined` for anything else. */
export function knownTransport(value: unknown): string | undefined {
  if (typeof value !== 'string' || !ASCII_LETTERS.test(value)) return undefined;
  const upper = value.toUpperCase();
  return TRANSPORT_SET.has(upper) ? upper : undefined;
}

const transportMessage = `each transport must be one of ${RED5PRO_TRANSPORTS.join(', ')}`;
const transportEntry = (typeMessage: string, message: string) =>
  v.pipe(
    v.string(typeMessage),
    v.regex(ASCII_LETTERS, message),
    v.toUpperCase(),
    v.picklist(RED5PRO_TRANSPORTS, message),
  );

/**
 * `transports` in a request: the Red5 Pro protocols the token is for, any case, upper-cased and
 * without repeats; each must be granted. Left out, the token carries the granted ones.
 */
export const RED5PRO_TRANSPORTS_FIELD: RequestField<readonly string[]> = {
  kind: 'option',
  message: transportMessage,
  check(value) {
    if (!Array.isArray(value) || value.length === 0 || value.length > RED5PRO_TRANSPORTS.length * 2) return undefined;
    const transports: string[] = [];
    for (const entry of value) {
      const transport = knownTransport(entry);
      if (transport === undefined) return undefined;
      if (!transports.includes(transport)) transports.push(transport);
    }
    return transports;
  },
  checkGrant(requested, grant: Grant) {
    const granted = grant.transports ?? [];
    if (granted !== 'any' && requested.some((transport) => !granted.includes(transport))) {
      throw new HttpProblem('forbidden', 'A requested transport is not granted to you.');
    }
  },
  schema: v.pipe(
    v.array(transportEntry('each transport must be a string', transportMessage), 'transports must be an array'),
    v.minLength(1, 'transports must not be empty: leave it out to use the granted transports'),
    v.maxLength(RED5PRO_TRANSPORTS.length * 2, 'transports lists too many entries'),
    v.transform((transports) => [...new Set(transports)]),
  ),
};

const grantTransportsMessage = `grant.transports must be 'any' or a list of ${RED5PRO_TRANSPORTS.join(', ')}`;

/**
 * `transports` in a grant: the Red5 Pro protocols a caller may use, any case, or `'any'`.
 * Absent: none, so a Red5 Pro token is refused (403). An empty list is a mistake (500).
 */
export const RED5PRO_GRANT_TRANSPORTS_FIELD: GrantField<readonly string[] | 'any'> = {
  message: grantTransportsMessage,
  // The least privilege without an authorize hook is still any transport: the room is the limit.
  defaultValue: 'any',
  check(value) {
    if (value === 'any') return value;
    if (!Array.isArray(value) || value.length === 0) return undefined;
    const upper: string[] = [];
    for (const entry of value) {
      const transport = knownTransport(entry);
      if (transport === undefined) return undefined;
      upper.push(transport);
    }
    return upper;
  },
  schema: v.union(
    [
      v.literal('any'),
      v.pipe(
        v.array(transportEntry(grantTransportsMessage, grantTransportsMessage), grantTransportsMessage),
        v.minLength(
          1,
          "grant.transports is an empty list: list the transports the caller may use, say 'any', or leave it out to grant none",
        ),
      ),
    ],
    grantTransportsMessage,
  ),
  serviceCap: {
    schema: transportsCapSchema(),
    required: true,
    hint: `a list of ${RED5PRO_TRANSPORTS.join(', ')}, or "any" for all of them`,
    list: true,
  },
};

/** `transports` as a cap in `roomkey serve`'s configuration: any case, upper-cased (serve drops repeats). */
function transportsCapSchema() {
  const message = `transports must be "any" or a non-empty array of ${RED5PRO_TRANSPORTS.join(', ')} (any case)`;
  return v.union(
    [
      v.literal('any'),
      v.pipe(
        v.array(v.pipe(v.string(message), v.toUpperCase(), v.picklist(RED5PRO_TRANSPORTS, message))),
        v.minLength(
          1,
          `transports must not be empty: list ${RED5PRO_TRANSPORTS.slice(0, -1).join(', ')} or ${RED5PRO_TRANSPORTS.at(-1)}, or write "any"`,
        ),
      ),
    ],
    message,
  );
}

/**
 * Red5 Pro: option `red5pro` (a signer from {@link createRed5ProSigner}, or its options); a
 * `room` gets a `red5pro` token. Grant fields: `rooms`, `transports`, and `name` (the display
 * name written into the token; personal data, so only the grant sets it).
 */
export const red5ProDefinition: RoomkeyPlatform<Red5ProSigner | Red5ProSignerOptions, 'red5pro'> = {
  option: 'red5pro',
  title: 'Red5 Pro',
  configure: 'red5pro: { secret }',
  tokenNames: ['red5pro'],
  requestFields: { room: ROOM_FIELD, transports: RED5PRO_TRANSPORTS_FIELD },
  grantFields: {
    rooms: ROOMS_FIELD,
    transports: RED5PRO_GRANT_TRANSPORTS_FIELD,
    name: textField('name', 256, { printable: true, min: 1 }),
  },
  create: (value, { clock }) => [red5ProPlatform(signerFrom(value, createRed5ProSigner, clock))],
  env: {
    variables: ['RED5PRO_JWT_SECRET', 'RED5PRO_JWT_ISSUER', 'RED5PRO_JWT_TTL_MINUTES'],
    read(env) {
      const secret = envValue(env, 'RED5PRO_JWT_SECRET');
      if (secret === undefined) {
        for (const name of ['RED5PRO_JWT_ISSUER', 'RED5PRO_JWT_TTL_MINUTES']) {
          if (envValue(env, name) !== undefined) throw new Error(`${name} is set but RED5PRO_JWT_SECRET is not`);
        }
        return undefined;
      }
      const issuer = envValue(env, 'RED5PRO_JWT_ISSUER');
      const maxTtlMinutes = wholeNumberFrom(env, 'RED5PRO_JWT_TTL_MINUTES', 60, 1, 525_600);
      return createdFromEnv(
        () => createRed5ProSigner({ secret, maxTtlMinutes, ...(issuer !== undefined && { issuer }) }),
        { secret: 'RED5PRO_JWT_SECRET', issuer: 'RED5PRO_JWT_ISSUER', maxTtlMinutes: 'RED5PRO_JWT_TTL_MINUTES' },
        'RED5PRO_JWT_*',
      );
    },
  },
  // Red5 Pro tokens carry no claim of their own for sure: any JWT no other platform claims.
  explain: ({ token, header, claims }, { now, settings, fallback }) =>
    fallback && header !== undefined && claims !== undefined
      ? explainRed5ProToken({ token, header, claims }, settings as unknown as Red5ProSettings, now)
      : undefined,
};
