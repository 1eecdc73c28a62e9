import { randomUUID } from 'node:crypto';
import { type Clock, epochSeconds, resolveClock } from '../clock.js';
import { RoomkeyError } from '../errors.js';
import { createHs256Signer } from '../jws.js';
import { checkNameList, hasControlCharacter } from '../names.js';
import type { IssuedToken, PlatformIssueInput, TokenPlatform } from '../platform.js';
import type { Role } from '../roles.js';
import { createHmacSecretKey } from '../secret.js';

/** Values of the Red5 Pro `roles` claim. Red5 Pro only honours them in lower case. */
export const RED5PRO_ROLES = ['red5-publisher', 'red5-subscriber'] as const;
export type Red5ProRole = (typeof RED5PRO_ROLES)[number];

/** Values of the Red5 Pro `red5-transport` claim, as written into tokens. */
export const RED5PRO_TRANSPORTS = ['RTMP', 'RTSP', 'WHIP', 'WHEP'] as const;
export type Red5ProTransport = (typeof RED5PRO_TRANSPORTS)[number];

/** How roomkey roles map onto the Red5 Pro `roles` claim (DESIGN.md, role mapping). */
export const RED5PRO_ROLE_MAP: Readonly<Record<Role, readonly Red5ProRole[]>> = Object.freeze({
  subscriber: ['red5-subscriber'],
  'publisher-only': ['red5-publisher'],
  publisher: ['red5-publisher', 'red5-subscriber'],
  moderator: ['red5-publisher', 'red5-subscriber'],
});

export interface Red5ProSignerOptions {
  /** The JWT secret exactly as configured on the Red5 Pro server (at least 32 bytes of UTF-8). */
  readonly secret: string;
  /** Written as `iss`; set it when the server is configured with `expectedIssuer`. */
  readonly issuer?: string;
  /** The server's `jwtTtlMinutes`. Default 60. */
  readonly maxTtlMinutes?: number;
  /** How far behind the server's clock may run. Default 30. */
  readonly clockSkewSeconds?: number;
  readonly clock?: Clock;
}

export interface Red5ProSignInput {
  /** `sub`: the user id. */
  readonly subject: string;
  /** `name`: a display name. Personal data: only set it when the app means to. */
  readonly name?: string;
  /** `roles`. Absent: the server lets the bearer publish and subscribe. */
  readonly roles?: readonly Red5ProRole[];
  /** `red5-transport`, case-insensitive in, upper case out. Absent: any transport. */
  readonly transports?: readonly string[];
  /** `red5-room`, matched exactly by the server. Absent: any room. */
  readonly rooms?: readonly string[];
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
export const RED5PRO_MIN_TTL_SECONDS = 60;
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
 */
export function createRed5ProSigner(options: Red5ProSignerOptions): Red5ProSigner {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('createRed5ProSigner(options): options must be an object with at least `secret`');
  }
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

  return {
    maxTtlSeconds,
    issuer,
    async sign(input) {
      const claims = buildClaims(input, issuer, maxTtlSeconds, epochSeconds(clock));
      return { token: signJws(claims), expiresAt: new Date(claims.exp * 1000), claims };
    },
  };
}

function buildClaims(
  input: Red5ProSignInput,
  issuer: string | undefined,
  maxTtlSeconds: number,
  now: number,
): Red5ProClaims {
  if (typeof input !== 'object' || input === null) {
    throw new RoomkeyError('invalid_claim', 'sign(input): input must be an object with at least `subject`');
  }
  const ttl = lifetime(input.ttlSeconds, maxTtlSeconds);
  // Written in the order seed 001 shows; an absent claim is left out, never written empty.
  const claims: Record<string, string | number> = { sub: checkText(input.subject, 'subject') };
  if (issuer !== undefined) claims.iss = issuer;
  if (input.name !== undefined) claims.name = checkText(input.name, 'name');
  if (input.roles !== undefined) claims.roles = joinRoles(input.roles);
  if (input.transports !== undefined) claims['red5-transport'] = joinTransports(input.transports);
  if (input.rooms !== undefined) claims['red5-room'] = joinList(checkNameList(input.rooms, 'rooms'), 'rooms');
  claims.exp = now + ttl;
  claims.iat = now;
  claims.jti = randomUUID();
  return claims as unknown as Red5ProClaims;
}

function lifetime(requested: number | undefined, maxTtlSeconds: number): number {
  if (requested === undefined) return maxTtlSeconds;
  if (!Number.isInteger(requested) || requested < RED5PRO_MIN_TTL_SECONDS) {
    throw new RoomkeyError(
      'invalid_claim',
      `ttlSeconds must be a whole number of seconds, at least ${RED5PRO_MIN_TTL_SECONDS}`,
    );
  }
  return Math.min(requested, maxTtlSeconds);
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

function joinList(values: readonly string[], field: string): string {
  // An empty list would be written as an absent claim, which the server reads as "any".
  if (values.length === 0) {
    throw new RoomkeyError('invalid_claim', `${field} must not be empty: leave it out to allow any`);
  }
  return values.join(',');
}

function joinRoles(roles: unknown): string {
  if (!Array.isArray(roles)) throw new RoomkeyError('invalid_claim', 'roles must be an array');
  const unique = new Set<string>();
  for (const role of roles) {
    if (!(RED5PRO_ROLES as readonly unknown[]).includes(role)) {
      throw new RoomkeyError('invalid_claim', `roles may only hold ${RED5PRO_ROLES.join(' and ')}`);
    }
    unique.add(role as string);
  }
  return joinList([...unique], 'roles');
}

/** Upper-cases and checks transports; shared with the pipeline's grant checks. */
export function normalizeTransports(transports: unknown): Red5ProTransport[] {
  if (!Array.isArray(transports)) throw new RoomkeyError('invalid_claim', 'transports must be an array');
  const unique = new Set<Red5ProTransport>();
  for (const transport of transports) {
    const upper = typeof transport === 'string' ? transport.toUpperCase() : undefined;
    if (!(RED5PRO_TRANSPORTS as readonly (string | undefined)[]).includes(upper)) {
      throw new RoomkeyError('invalid_claim', `transports may only hold ${RED5PRO_TRANSPORTS.join(', ')}`);
    }
    unique.add(upper as Red5ProTransport);
  }
  return [...unique];
}

function joinTransports(transports: unknown): string {
  return joinList(normalizeTransports(transports), 'transports');
}

/**
 * The Red5 Pro token platform for the issuing pipeline: a room request gets a token for that
 * room alone, with the role mapped per DESIGN.md and the grant's transports and name.
 */
export function red5ProPlatform(signer: Red5ProSigner): TokenPlatform {
  return {
    tokenName: 'red5pro',
    addressedBy: 'room',
    maxTtlSeconds: signer.maxTtlSeconds,
    async issue(input: PlatformIssueInput) {
      const { token, expiresAt } = await signer.sign({
        subject: input.identity.id,
        roles: RED5PRO_ROLE_MAP[input.role],
        rooms: [input.target],
        ...(input.transports !== undefined && { transports: input.transports }),
        ...(input.grant.name !== undefined && { name: input.grant.name }),
        ttlSeconds: input.ttlSeconds,
      });
      return { token, expiresAt };
    },
  };
}
