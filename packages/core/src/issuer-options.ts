import { checkLogger, type DeniedEvent, type IssuedEvent, type LogError, type Logger, logToStderr } from './audit.js';
import { type Clock, resolveClock } from './clock.js';
import type { Grant, Identity } from './grant.js';
import { checkRateLimit, type Limits, type RateLimitOptions } from './limits.js';
import { hasControlCharacter } from './names.js';
import { rejectUnknownOptions } from './options.js';
import type { PlatformOption, TokenPlatform } from './platform.js';
import { type OpenTokSigner, type OpenTokSignerOptions, openTokOption } from './platforms/opentok.js';
import { type CreateRed5CloudClientOptions, type Red5Client, red5CloudOption } from './platforms/red5cloud.js';
import { type Red5ProSigner, type Red5ProSignerOptions, red5ProOption } from './platforms/red5pro.js';
import { type VonageVideoSigner, type VonageVideoSignerOptions, vonageOption } from './platforms/vonage.js';
import type { TokenProtocol } from './protocols.js';
import { DEFAULT_BODY_TIMEOUT_MS, MAX_BODY_BYTES, type TokenRequest } from './request.js';

type MaybePromise<T> = T | Promise<T>;

export interface AuthorizeContext<Native> {
  readonly identity: Identity;
  readonly request: TokenRequest;
  /** The framework's own request (Express `req`, Koa `ctx`, a Fetch `Request`…). */
  readonly nativeRequest: Native;
  /** Which route asked: `roomkey` (`/tokens`) or one of the Red5 SDK's protocols. */
  readonly protocol: TokenProtocol;
}

export interface TokenIssuerOptions<Native> {
  /** Who is asking: the app's session, passport, JWT or API-key check. `null` answers 401. */
  identify(nativeRequest: Native): MaybePromise<Identity | null | undefined>;
  /**
   * The most the caller may have. `false` answers 403. Without it every caller gets the least
   * privilege: `subscriber`, for the requested room only, over any transport.
   */
  authorize?(context: AuthorizeContext<Native>): MaybePromise<Grant | false>;
  /** Red5 Pro signing: a signer from `createRed5ProSigner`, or its options. */
  red5pro?: Red5ProSigner | Red5ProSignerOptions;
  /** Vonage Video signing (`session` → `vonage`): a signer from `createVonageVideoSigner`, or its options. */
  vonage?: VonageVideoSigner | VonageVideoSignerOptions;
  /** Legacy OpenTok projects (`session` → `vonage`): a signer from `createOpenTokSigner`, or its options. */
  opentok?: OpenTokSigner | OpenTokSignerOptions;
  /**
   * Red5 Cloud (`room` → `conference`, `channel` → `chat`): a client from
   * `createRed5CloudClient`/`new Red5Client`, or its options.
   */
  red5cloud?: Red5Client | CreateRed5CloudClientOptions;
  /** More platforms, each addressed by its own request field. */
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

/**
 * The platform options an issuer knows, each turned into platforms by its own module. A new
 * platform is one module exporting a {@link PlatformOption}, listed here and in the options type.
 */
const PLATFORM_OPTIONS = [red5ProOption, vonageOption, openTokOption, red5CloudOption] as const;

/** Every option name `createTokenIssuer` knows, for adapters that add options of their own. */
export const ISSUER_OPTION_NAMES: readonly string[] = [
  'identify',
  'authorize',
  ...PLATFORM_OPTIONS.map(({ option }) => option),
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
  for (const entry of PLATFORM_OPTIONS as readonly PlatformOption<unknown>[]) {
    const value = (options as unknown as Record<string, unknown>)[entry.option];
    if (value !== undefined) add(entry.platforms(value, clock), entry.option);
  }
  if (options.platforms !== undefined) {
    if (!Array.isArray(options.platforms)) throw new TypeError('platforms must be an array');
    add(options.platforms, 'platforms');
  }
  if (platforms.length === 0) {
    throw new TypeError(
      'configure at least one platform: red5pro: { secret }, red5cloud: { masterKey, masterSecret }, ' +
        'vonage: { applicationId, privateKey }, opentok: { apiKey, apiSecret } (or platforms: [...])',
    );
  }
  return platforms;
}
