import { checkLogger, type DeniedEvent, type IssuedEvent, type LogError, type Logger, logToStderr } from './audit.js';
import { type Clock, resolveClock } from './clock.js';
import type { Grant, Identity } from './grant.js';
import { BUILT_IN_GRANT_FIELDS, BUILT_IN_GRANT_SHAPE, type GrantShape, grantShape } from './grant.js';
import { checkRateLimit, type Limits, type RateLimitOptions } from './limits.js';
import { hasControlCharacter } from './names.js';
import { rejectUnknownOptions } from './options.js';
import type { RoomkeyPlatform, TokenPlatform } from './platform.js';
import { BUILT_IN_PLATFORMS } from './platforms/index.js';
import type { TokenProtocol } from './protocols.js';
import {
  BUILT_IN_REQUEST_FIELDS,
  BUILT_IN_REQUEST_SHAPE,
  DEFAULT_BODY_TIMEOUT_MS,
  gatherFields,
  MAX_BODY_BYTES,
  parseTokenRequest,
  type RequestShape,
  requestShape,
  type TokenRequest,
} from './request.js';

type MaybePromise<T> = T | Promise<T>;

export interface AuthorizeContext<Native> {
  readonly identity: Identity;
  readonly request: TokenRequest;
  /** The framework's own request (Express `req`, Koa `ctx`, a Fetch `Request`…). */
  readonly nativeRequest: Native;
  /** Which route asked: `roomkey` (`/tokens`) or one of the Red5 SDK's protocols. */
  readonly protocol: TokenProtocol;
}

type BuiltInPlatform = (typeof BUILT_IN_PLATFORMS)[number];

/**
 * One option per built-in platform, named and typed by its module (the registry in
 * `platforms/index.ts`): `red5pro`, `vonage`, `opentok`, `red5cloud`. Each takes a ready signer
 * or client, or its options; the platform's module documents them.
 */
export type BuiltInPlatformOptions = {
  readonly [Platform in BuiltInPlatform as Platform['option']]?: Parameters<Platform['create']>[0];
};

export interface TokenIssuerOptions<Native> extends BuiltInPlatformOptions {
  /** Who is asking: the app's session, passport, JWT or API-key check. `null` answers 401. */
  identify(nativeRequest: Native): MaybePromise<Identity | null | undefined>;
  /**
   * The most the caller may have. `false` answers 403. Without it every caller gets the least
   * privilege: `subscriber`, for the requested room only, over any transport.
   */
  authorize?(context: AuthorizeContext<Native>): MaybePromise<Grant | false>;
  /**
   * More platforms: the app's own (an in-house media server, MediaMTX…), each a
   * {@link TokenPlatform} addressed by a request field ("Write a platform" in the README).
   */
  platforms?: readonly TokenPlatform[];
  /** Audit hook for every issued request. Awaited: if it throws, no token is sent (500). */
  onIssued?(event: IssuedEvent): MaybePromise<void>;
  /** Audit hook for every refused request (4xx) and platform failure (502). Awaited. */
  onDenied?(event: DeniedEvent): MaybePromise<void>;
  /**
   * A pino-compatible logger for audit events and failures. Without one, failures (500, 502,
   * 503) are written to stderr and nothing else is logged.
   */
  logger?: Logger;
  /** The challenge sent with 401 answers. Default `Bearer realm="roomkey"`. */
  wwwAuthenticate?: string;
  /** Body size limit in bytes, at most (and by default) 16384. */
  maxBodyBytes?: number;
  /**
   * How long reading the request body may take, in milliseconds, before 408 (and the
   * connection is closed). Default 10000. A body parser that ran before roomkey applies its own.
   */
  bodyTimeoutMs?: number;
  /**
   * Refuse plain-HTTP requests with 403 (never a redirect). A request counts as HTTPS when the
   * framework says so: its own TLS, or a proxy it trusts (Express `trust proxy`, Koa `app.proxy`).
   */
  requireHttps?: boolean;
  /** Abuse limits with `rate-limiter-flexible`: tokens per identity, failed attempts per address. */
  rateLimit?: RateLimitOptions;
  /** Where time comes from: audit events, and signers built here from options. Tests freeze it. */
  clock?: Clock;
}

/** Every option name `createTokenIssuer` knows, for adapters that add options of their own. */
export const ISSUER_OPTION_NAMES: readonly string[] = [
  'identify',
  'authorize',
  ...BUILT_IN_PLATFORMS.map(({ option }) => option),
  'platforms',
  'onIssued',
  'onDenied',
  'logger',
  'wwwAuthenticate',
  'maxBodyBytes',
  'bodyTimeoutMs',
  'requireHttps',
  'rateLimit',
  'clock',
];

/** The options of an issuer, checked and resolved once, at creation. */
export interface IssuerConfig<Native> {
  readonly identify: TokenIssuerOptions<Native>['identify'];
  readonly authorize: TokenIssuerOptions<Native>['authorize'];
  readonly onIssued: TokenIssuerOptions<Native>['onIssued'];
  readonly onDenied: TokenIssuerOptions<Native>['onDenied'];
  readonly logger: Logger | undefined;
  /** Failures the operator must see (500s, platform or store failures): the logger, else stderr. */
  readonly logError: LogError;
  readonly platforms: readonly TokenPlatform[];
  /** The fields requests and grants may carry: the built-in platforms' and the app's platforms'. */
  readonly requestShape: RequestShape;
  readonly grantShape: GrantShape;
  /** The `/tokens` body parser for {@link requestShape}, made once. */
  readonly parseRequest: (body: unknown) => TokenRequest;
  readonly wwwAuthenticate: string;
  readonly maxBodyBytes: number;
  readonly bodyTimeoutMs: number;
  readonly requireHttps: boolean;
  readonly limits: Limits | undefined;
  readonly clock: Clock;
}

/**
 * Checks an issuer's options; every mistake is a `TypeError` that says what to fix. `caller`,
 * the function the app called, names where an unknown option was passed.
 */
export function checkIssuerOptions<Native>(
  options: TokenIssuerOptions<Native>,
  caller = 'createTokenIssuer',
): IssuerConfig<Native> {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('options must be an object with at least `identify` and one platform such as `red5pro`');
  }
  rejectUnknownOptions(options, ISSUER_OPTION_NAMES, caller);
  const { identify, authorize, onIssued, onDenied } = options;
  if (typeof identify !== 'function') {
    throw new TypeError('identify must be a function (request) => { id } | null that says who is asking');
  }
  for (const [name, value] of Object.entries({ authorize, onIssued, onDenied })) {
    if (value !== undefined && typeof value !== 'function') throw new TypeError(`${name} must be a function`);
  }
  const clock = resolveClock(options.clock);
  const platforms = configuredPlatforms(options, clock);
  const { requestShape: requests, grantShape: grants } = shapesFor(platforms);
  for (const platform of platforms) {
    const field = requests.fields.get(platform.addressedBy);
    if (field === undefined || field.kind === 'option') {
      throw new TypeError(
        `platform "${platform.tokenName}" is addressed by "${platform.addressedBy}", which is no request field: ` +
          'declare it in requestFields (a target or a flag)',
      );
    }
  }

  const maxBodyBytes = options.maxBodyBytes ?? MAX_BODY_BYTES;
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 64 || maxBodyBytes > MAX_BODY_BYTES) {
    throw new TypeError(`maxBodyBytes must be a whole number from 64 to ${MAX_BODY_BYTES}`);
  }
  const bodyTimeoutMs = options.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS;
  if (!Number.isInteger(bodyTimeoutMs) || bodyTimeoutMs < 1 || bodyTimeoutMs > 300_000) {
    throw new TypeError('bodyTimeoutMs must be a whole number of milliseconds from 1 to 300000');
  }
  const requireHttps = options.requireHttps ?? false;
  if (typeof requireHttps !== 'boolean') throw new TypeError('requireHttps must be true or false');
  const wwwAuthenticate = options.wwwAuthenticate ?? 'Bearer realm="roomkey"';
  if (typeof wwwAuthenticate !== 'string' || wwwAuthenticate.length === 0 || hasControlCharacter(wwwAuthenticate)) {
    throw new TypeError('wwwAuthenticate must be a non-empty header value such as Bearer realm="app"');
  }
  const logger = checkLogger(options.logger);
  return {
    identify,
    authorize,
    onIssued,
    onDenied,
    logger,
    logError: logger === undefined ? logToStderr : (object, message) => logger.error(object, message),
    platforms,
    requestShape: requests,
    grantShape: grants,
    parseRequest: requests === BUILT_IN_REQUEST_SHAPE ? parseTokenRequest : (body) => parseTokenRequest(body, requests),
    wwwAuthenticate,
    maxBodyBytes,
    bodyTimeoutMs,
    requireHttps,
    limits: checkRateLimit(options.rateLimit),
    clock,
  };
}

function configuredPlatforms<Native>(options: TokenIssuerOptions<Native>, clock: Clock): TokenPlatform[] {
  const platforms: TokenPlatform[] = [];
  /** Which option gave each token name, to name both when two give the same. */
  const sources = new Map<string, string>();
  const add = (found: readonly TokenPlatform[], option: string) => {
    for (const platform of found) {
      const earlier = sources.get(platform.tokenName);
      if (earlier !== undefined) {
        throw new TypeError(
          earlier === option
            ? `two platforms in ${option} issue the token named "${platform.tokenName}"`
            : `${earlier} and ${option} both issue the "${platform.tokenName}" token: configure one of them`,
        );
      }
      sources.set(platform.tokenName, option);
      platforms.push(platform);
    }
  };
  for (const entry of BUILT_IN_PLATFORMS as readonly RoomkeyPlatform<unknown>[]) {
    // Own properties only: a polluted Object.prototype.livekit must not configure a platform.
    if (!Object.hasOwn(options, entry.option)) continue;
    const value = (options as unknown as Record<string, unknown>)[entry.option];
    if (value !== undefined) add(entry.create(value, { clock }), entry.option);
  }
  if (options.platforms !== undefined) {
    if (!Array.isArray(options.platforms)) throw new TypeError('platforms must be an array');
    for (const platform of options.platforms) checkAppPlatform(platform);
    add(options.platforms, 'platforms');
  }
  if (platforms.length === 0) {
    throw new TypeError(
      `configure at least one platform: ${BUILT_IN_PLATFORMS.map((entry) => entry.configure).join(', ')} ` +
        '(or platforms: [...])',
    );
  }
  return platforms;
}

const isLifetime = (seconds: unknown) => Number.isSafeInteger(seconds) && (seconds as number) >= 1;

/**
 * An app's platform, checked once: a lifetime that is no whole number of seconds (NaN from an
 * unset variable, Infinity) would become every token's `exp`, and a token name that is no plain
 * key would vanish from the answer's `tokens`.
 */
function checkAppPlatform(platform: TokenPlatform): void {
  if (typeof platform !== 'object' || platform === null) {
    throw new TypeError(
      'platforms must be an array of platform objects { tokenName, addressedBy, maxTtlSeconds, issue }',
    );
  }
  const { tokenName } = platform;
  if (typeof tokenName !== 'string' || tokenName === '' || tokenName === '__proto__') {
    throw new TypeError(
      "a platform's tokenName must be a non-empty string other than __proto__ (the key under tokens in the answer)",
    );
  }
  if (!isLifetime(platform.maxTtlSeconds)) {
    throw new TypeError(`platform "${tokenName}": maxTtlSeconds must be a whole number of seconds, at least 1`);
  }
  if (platform.defaultTtlSeconds !== undefined && !isLifetime(platform.defaultTtlSeconds)) {
    throw new TypeError(`platform "${tokenName}": defaultTtlSeconds must be a whole number of seconds, at least 1`);
  }
  if (typeof platform.issue !== 'function') {
    throw new TypeError(
      `platform "${tokenName}": issue must be a function ({ identity, grant, role, target, ttlSeconds }) => { token, expiresAt }`,
    );
  }
}

/**
 * The request and grant shapes of an issuer: the built-in ones, unless the app's platforms
 * declare fields of their own (a clash with a built-in field of another meaning is a `TypeError`).
 */
function shapesFor(platforms: readonly TokenPlatform[]): { requestShape: RequestShape; grantShape: GrantShape } {
  const own = platforms.filter(
    (platform) => platform.requestFields !== undefined || platform.grantFields !== undefined,
  );
  if (own.length === 0) return { requestShape: BUILT_IN_REQUEST_SHAPE, grantShape: BUILT_IN_GRANT_SHAPE };
  for (const platform of own) {
    for (const fields of [platform.requestFields, platform.grantFields]) {
      if (fields !== undefined && (typeof fields !== 'object' || fields === null)) {
        throw new TypeError(`platform "${platform.tokenName}": requestFields and grantFields must be objects`);
      }
    }
  }
  const requestFields = gatherFields(
    [Object.fromEntries(BUILT_IN_REQUEST_FIELDS), ...own.map((platform) => platform.requestFields)],
    'request',
    ['role', 'ttlMinutes'],
  );
  const grantFields = gatherFields(
    [Object.fromEntries(BUILT_IN_GRANT_FIELDS), ...own.map((platform) => platform.grantFields)],
    'grant',
    ['role', 'ttlMinutes'],
  );
  for (const [name, field] of requestFields) {
    if (field.grantList !== undefined && !grantFields.has(field.grantList)) {
      throw new TypeError(`request field "${name}" is listed in the grant field "${field.grantList}": declare it too`);
    }
  }
  return { requestShape: requestShape(requestFields), grantShape: grantShape(grantFields) };
}
