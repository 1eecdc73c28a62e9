import type { Clock } from './clock.js';
import type { Grant, Identity } from './grant.js';
import type { Role } from './roles.js';

/** Which field of a token request addresses a platform. */
export type AddressField = 'room' | 'channel' | 'session';

/** What the pipeline hands a platform once the request has been checked against the grant. */
export interface PlatformIssueInput {
  readonly identity: Identity;
  readonly grant: Grant;
  readonly role: Role;
  /** The value of the field that addresses this platform (a room, channel or session id). */
  readonly target: string;
  /**
   * The transports the token may allow: the requested ones (already checked against the grant),
   * else the granted ones; `'any'` only when the grant says so, `[]` when it grants none.
   */
  readonly transports: readonly string[] | 'any';
  /** The lifetime the request and grant allow; the platform clamps it to its own cap. */
  readonly ttlSeconds: number;
}

export interface IssuedToken {
  readonly token: string;
  readonly expiresAt: Date;
}

/**
 * The one interface the pipeline knows platforms by: turn a checked grant and an identity
 * into a named token with its expiry. Adding a platform is one new module implementing it.
 */
export interface TokenPlatform {
  /** The key under `tokens` in the response (`red5pro`, `conference`, `chat`, `vonage`). */
  readonly tokenName: string;
  /** The request field that makes a request address this platform. */
  readonly addressedBy: AddressField;
  /** The longest lifetime this platform issues, in seconds. */
  readonly maxTtlSeconds: number;
  /** The lifetime when the request names none (the grant may still cap it). Default: `maxTtlSeconds`. */
  readonly defaultTtlSeconds?: number;
  /**
   * Checks a target (room, channel or session id) that passed the request schema but that this
   * platform cannot use, before anyone is identified: throw a `RoomkeyError` with code
   * `invalid_claim` whose message says why (never echoing the value). The client's mistake: 400.
   */
  checkTarget?(target: string): void;
  /**
   * Checks a user id this platform's token cannot carry (PubNub's uuid holds at most 64
   * characters): throw a `RoomkeyError` with code `invalid_claim` whose message names the limit,
   * never the value. Ids that break roomkey's own rules (1 to 256 characters, canonical form)
   * never get here. Lets a service refuse such a caller clearly before anything is signed.
   */
  checkUserId?(userId: string): void;
  /**
   * Refuses a grant that gives nothing this platform's token needs (a Red5 Cloud grant whose
   * `chat` allows neither read nor write): throw an `HttpProblem` (403). Called after the request
   * was checked against the grant, before anything is signed.
   */
  checkGrant?(grant: Grant, role: Role): void;
  /**
   * Signs. The request was checked against the grant; an `invalid_claim` thrown here means the
   * identity or the grant cannot be used by this platform, the app's mistake: 500, logged.
   * May answer synchronously: the pipeline then does not wait a turn for it.
   */
  issue(input: PlatformIssueInput): IssuedToken | Promise<IssuedToken>;
}

/**
 * How an issuer option (`red5pro`, `vonage`…) becomes platforms: each platform module exports
 * one, and the issuer knows platforms only through this and {@link TokenPlatform}.
 */
export interface PlatformOption<Value> {
  /** The option's name in `createTokenIssuer`'s options. */
  readonly option: string;
  /** The platforms for the option's value, made now: a configuration mistake throws a `TypeError`. */
  platforms(value: Value, clock: Clock): TokenPlatform[];
}

/** A ready signer (anything with `sign`) as it is, or one made from its options with the issuer's clock. */
export function signerFrom<Signer extends object, Options extends object>(
  value: Signer | Options,
  create: (options: Options & { clock: Clock }) => Signer,
  clock: Clock,
): Signer {
  if (typeof value === 'object' && value !== null && typeof (value as { sign?: unknown }).sign === 'function') {
    return value as Signer;
  }
  return create({ clock, ...(value as Options) });
}
