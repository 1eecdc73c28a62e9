import type * as v from 'valibot';
import type { Clock } from './clock.js';
import type { Grant, Identity } from './grant.js';
import type { TokenRequest } from './request.js';
import type { Role } from './roles.js';

/** Longest lifetime a request may ask for: 30 days, Vonage's cap and more than any other. */
export const MAX_TTL_MINUTES = 30 * 24 * 60;

/**
 * The request field that makes a request address a platform: `room`, `channel`, `session`, or
 * any field a platform declares in {@link TokenPlatform.requestFields}.
 */
export type AddressField = string;

/**
 * A field of the token request (`POST /tokens`) that a platform reads. Several platforms may
 * read the same field (Red5 Pro, Red5 Cloud and LiveKit all read `room`): they then share one
 * field object. A request with a field no configured or built-in platform declares is refused (400).
 */
export interface RequestField<Value = unknown> {
  /**
   * The value as the pipeline keeps it, or `undefined` when it is not valid (the client then
   * gets 400 with {@link message}). Called on every request that carries the field, without
   * `this`: keep it quick.
   */
  check(value: unknown): Value | undefined;
  /** What to send instead, for a value {@link check} refused. Fixed text: never repeat the value. */
  readonly message: string;
  /**
   * `'target'` (the default): a string naming what the token is for; a request addresses a
   * platform by sending it. `'flag'`: a boolean such as `"turn": true`; only `true` addresses.
   * `'option'`: a detail of the request (Red5 Pro `transports`) that addresses nothing.
   */
  readonly kind?: 'target' | 'flag' | 'option';
  /**
   * The grant field that lists the values a caller may send (`room` → `rooms`): a list, or
   * `'any'`; absent or empty, none (403). The grant field is declared with it.
   */
  readonly grantList?: string;
  /** The default grant (no `authorize` hook) lists the requested value in {@link grantList}. */
  readonly inDefaultGrant?: boolean;
  /**
   * Any other check of the value against the grant (Red5 Pro transports): throw an
   * `HttpProblem` (`forbidden`, 403) whose message names what is not granted.
   */
  checkGrant?(value: Value, grant: Grant): void;
  /**
   * A valibot schema that answers exactly as {@link check} does, with more detailed messages:
   * used only to word a refusal. A property test holds the built-in fields' pairs together.
   */
  readonly schema?: v.GenericSchema;
}

/**
 * A field of the grant (the app's `authorize` answer) that a platform adds: Red5 Pro
 * `transports` and `name`, Red5 Cloud `chat`, Vonage `connectionData`. Closed by omission:
 * a field the grant leaves out gives nothing.
 */
export interface GrantField<Value = unknown> {
  /** The value as the pipeline keeps it, or `undefined` when it is not valid (the app's bug: 500). Called without `this`. */
  check(value: unknown): Value | undefined;
  /** What is wrong, for a value {@link check} refused: `grant.name must be …`. */
  readonly message: string;
  /** The value in the default grant (no `authorize` hook); absent: not granted. */
  readonly defaultValue?: Value;
  /** A valibot schema that answers as {@link check} does, to word a refusal in more detail. */
  readonly schema?: v.GenericSchema;
  /**
   * Makes this field a cap in `roomkey serve`'s configuration: each service key and the OIDC
   * users may hold it under the same name, and every grant the caller gets carries it as it is.
   * Absent: serve never grants it.
   */
  readonly serviceCap?: ServiceCap;
}

/** How `roomkey serve` reads a grant field as a caller's cap ({@link GrantField.serviceCap}). */
export interface ServiceCap {
  /** Checks the configured value, with messages that name the setting (`transports must …`); may normalize it. */
  readonly schema: v.GenericSchema;
  /**
   * A caller that can reach the platform must set it: left out, every one of the platform's
   * tokens would be refused (Red5 Pro's `transports`). serve then refuses to start.
   */
  readonly required?: boolean;
  /** What to write, for that start-up message: `a list of RTMP, RTSP, WHIP, WHEP, or "any" for all of them`. */
  readonly hint: string;
  /**
   * The value is `"any"` or a list, so the OIDC users' cap may come from the environment,
   * comma-separated, as `ROOMKEY_OIDC_<NAME>` (`ROOMKEY_OIDC_TRANSPORTS`).
   */
  readonly list?: boolean;
}

/** What the pipeline hands a platform once the request has been checked against the grant. */
export interface PlatformIssueInput {
  readonly identity: Identity;
  readonly grant: Grant;
  readonly role: Role;
  /**
   * The value of the field that addresses this platform (a room, channel or session id); for a
   * flag field (`"turn": true`), the field's name.
   */
  readonly target: string;
  /**
   * The whole request, checked against the grant: fields of the platform's own beyond its target.
   * The pipeline always passes it; absent only when a platform is called directly.
   */
  readonly request?: TokenRequest;
  /**
   * Red5 Pro transports for a platform called directly (the pipeline leaves this out: Red5 Pro
   * reads `request.transports`, else `grant.transports`).
   */
  readonly transports?: readonly string[] | 'any';
  /** The lifetime the request and grant allow; the platform clamps it to its own cap. */
  readonly ttlSeconds: number;
}

/** A signed token and its expiry: the answer's entry is `{ token, expiresAt }`. */
export interface IssuedToken {
  readonly token: string;
  readonly expiresAt: Date;
}

/**
 * Credentials that are not one token string (TURN's `iceServers`): the answer's entry is
 * `{ ...entry, expiresAt }`.
 */
export interface IssuedEntry {
  readonly entry: Readonly<Record<string, unknown>>;
  readonly expiresAt: Date;
}

/**
 * One kind of token, as the pipeline knows it: turn a checked grant and an identity into a named
 * token with its expiry. A built-in platform module makes these from its issuer option; an app
 * writes its own plain object of this shape and passes it in the issuer's `platforms` option
 * ("Write a platform" in the README).
 */
export interface TokenPlatform<Issued extends IssuedToken | IssuedEntry = IssuedToken | IssuedEntry> {
  /** The key under `tokens` in the response (`red5pro`, `conference`, `chat`, `vonage`, `livekit`). */
  readonly tokenName: string;
  /** The request field that makes a request address this platform (`room`, `channel`, `session`…). */
  readonly addressedBy: AddressField;
  /** The longest lifetime this platform issues, in seconds. */
  readonly maxTtlSeconds: number;
  /** The lifetime when the request names none (the grant may still cap it). Default: `maxTtlSeconds`. */
  readonly defaultTtlSeconds?: number;
  /**
   * Request fields this platform reads that no built-in platform declares (its addressing field
   * among them, unless it is `room`, `channel` or `session`).
   */
  readonly requestFields?: Readonly<Record<string, RequestField>>;
  /** Grant fields this platform adds (closed by omission: absent gives nothing). */
  readonly grantFields?: Readonly<Record<string, GrantField>>;
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
  issue(input: PlatformIssueInput): Issued | Promise<Issued>;
}

/** What a protocol's parser makes of a body, in the pipeline's terms. */
export interface RouteRequest {
  /** What `authorize` sees: a token request as the `roomkey` contract would have it. */
  readonly request: TokenRequest;
  /** The user the body names; it must be the identified user (403 otherwise). */
  readonly userId?: string;
  /** Anything else the route's `narrow` and `render` need (Red5 chat rights, LiveKit's fields). */
  readonly extra?: Readonly<Record<string, unknown>>;
}

/** What a successful request produced, for the route to render. */
export interface RouteResult {
  readonly identity: string;
  readonly role: Role;
  readonly tokens: Readonly<Record<string, { readonly token: string; readonly expiresAt: string }>>;
}

/**
 * A route a platform adds beside `POST /tokens`, speaking a vendor's own protocol (the Red5
 * WebRTC SDK's two, LiveKit's standard token endpoint) through the same pipeline: identify,
 * authorize, limits, audit and problems come with it. Adapters mount it by name.
 */
export interface PlatformRoute {
  /**
   * The path the example servers and `roomkey serve` mount it at (`/livekit-token`). An app
   * may mount it anywhere.
   */
  readonly path?: string;
  /** The one token this route issues; absent: every token the request addresses. */
  readonly tokenName?: string;
  /** Which credentials to configure when {@link tokenName} is not issued. */
  readonly needs?: string;
  /** The success status. Default 200. */
  readonly status?: number;
  /** The body field that names the user ({@link RouteRequest.userId}), for the 403's words. Default `userId`. */
  readonly userIdField?: string;
  /**
   * Reads the body. `parseTokenRequest` is the issuer's own `/tokens` parser. Throw an
   * `HttpProblem` (400) for a malformed body.
   */
  parse(body: unknown, parseTokenRequest: (body: unknown) => TokenRequest): RouteRequest;
  /**
   * Narrows the grant to what the body asked for, once it is known to lie within it (throw
   * an `HttpProblem`, 403, otherwise).
   */
  narrow?(grant: Grant, role: Role, parsed: RouteRequest): Grant;
  /**
   * Refuses, at start-up, an issuer whose platform for {@link tokenName} cannot serve this route
   * (LiveKit's endpoint without the server URL): throw a `TypeError` that says what to set.
   */
  checkPlatform?(platform: TokenPlatform): void;
  /** The success body; `platform` is the one that issued {@link tokenName}, when the route names one. */
  success(result: RouteResult, parsed: RouteRequest, platform: TokenPlatform | undefined): unknown;
  /** The success body as JSON text, when the route writes it faster than JSON.stringify would. */
  render?(result: RouteResult): string;
  /** RFC 9457 extension members for this route's problem responses. */
  readonly problemMembers?: Readonly<Record<string, unknown>>;
}

/**
 * A platform module's definition: everything about one platform, in one object. The registry
 * (`platforms/index.ts`) lists the built-in ones; the issuer, serve and the CLI know platforms
 * only through it.
 */
export interface RoomkeyPlatform<Options = never, Option extends string = string, Route extends string = never> {
  /** The issuer option that configures it (`red5pro`, `livekit`…). */
  readonly option: Option;
  /** Its name for people: `Red5 Pro`. */
  readonly title: string;
  /** How to configure it, for messages: `red5pro: { secret }`. */
  readonly configure: string;
  /** The tokens it can issue (`conference`, `chat`), for serve's and the CLI's lists. */
  readonly tokenNames: readonly string[];
  /** Request fields it reads (shared fields are shared objects). */
  readonly requestFields?: Readonly<Record<string, RequestField>>;
  /** Grant fields it adds. */
  readonly grantFields?: Readonly<Record<string, GrantField>>;
  /** Routes it adds beside `/tokens`, by protocol name. */
  readonly routes?: Readonly<Record<Route, PlatformRoute>>;
  /** The token platforms for the option's value, made now: a configuration mistake throws a `TypeError`. */
  create(value: Options, context: PlatformContext): TokenPlatform[];
  /**
   * Explains one of its tokens for `roomkey inspect`: each claim's meaning and each of the
   * platform's rules, checked with the credentials `env` holds (the platform's own variables);
   * `undefined` when the token is not one of its.
   */
  /** The environment variables that configure it (serve, the CLI), and how they become its option. */
  readonly env?: PlatformEnv<Options>;
  explain?(token: DecodedToken, context: ExplainContext): Promise<TokenReport | undefined> | TokenReport | undefined;
}

/** How a platform reads its configuration from environment variables (serve, the CLI). */
export interface PlatformEnv<Options> {
  /** Every variable it reads. */
  readonly variables: readonly string[];
  /**
   * Its option's value (a ready signer or client, made now so that a weak secret stops the
   * start), or `undefined` when none of its variables is set. A mistake is an `Error` whose
   * message names the variable to fix, never a secret.
   */
  read(env: Readonly<Record<string, string | undefined>>): Options | undefined;
}

/** What a platform's `explain` gets beside the token. */
export interface ExplainContext {
  /** The environment: the platform's own variables hold the credentials to check with. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Now, in epoch milliseconds. */
  readonly now: number;
  /**
   * What the person asked to check (`roomkey inspect`'s flags): `secret` and `secretSource`,
   * `ttlMinutes`, `issuer`, `requireRole`, `requireTransport`, `requireRoom`.
   */
  readonly settings: Readonly<Record<string, unknown>>;
  /**
   * `false` on the first round, where each platform explains only tokens that are certainly
   * its; `true` on the second, where a platform that explains any JWT (Red5 Pro's) may.
   */
  readonly fallback: boolean;
}

/** A token as `roomkey inspect` decoded it: the text, and for a JWS its header and claims. */
export interface DecodedToken {
  readonly token: string;
  /** Absent for a token that is no JWS (OpenTok's `T1==`). */
  readonly header?: Readonly<Record<string, unknown>>;
  readonly claims?: Readonly<Record<string, unknown>>;
}

/** One rule of a platform, applied to a token, in words a person understands. */
export interface TokenCheck {
  readonly rule: string;
  readonly status: 'pass' | 'fail' | 'skip';
  readonly message: string;
}

/** A platform's explanation of one of its tokens, for `roomkey inspect`. */
export interface TokenReport {
  readonly kind: string;
  /** "LiveKit access token"… */
  readonly title: string;
  readonly header: Record<string, unknown> | undefined;
  readonly claims: Record<string, unknown>;
  readonly explained: readonly { readonly claim: string; readonly value: unknown; readonly meaning: string }[];
  readonly expiresAt: string | undefined;
  readonly signatureChecked: boolean;
  readonly checks: readonly TokenCheck[];
  /** accepted: every rule passed with the signature checked; unverified: none failed, signature not checked. */
  readonly verdict: 'accepted' | 'refused' | 'unverified';
}

/** What a platform's `create` receives beside its option's value. */
export interface PlatformContext {
  readonly clock: Clock;
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
