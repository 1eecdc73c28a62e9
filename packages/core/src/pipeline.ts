import { randomUUID } from 'node:crypto';
import * as v from 'valibot';
import { checkLogger, type DeniedEvent, type IssuedEvent, type LogError, type Logger, logToStderr } from './audit.js';
import { type Clock, resolveClock } from './clock.js';
import { isRoomkeyError } from './errors.js';
import type { Grant, Identity } from './grant.js';
import { defaultGrant } from './grant.js';
import { checkRateLimit, type Limits, type RateLimitOptions, type Reservation } from './limits.js';
import { ASCII_LETTERS, describeNonCanonicalId, hasControlCharacter, NAME_PATTERN } from './names.js';
import { describeUnknownKey, rejectUnknownOptions } from './options.js';
import type { AddressField, IssuedToken, PlatformIssueInput, TokenPlatform } from './platform.js';
import { createOpenTokSigner, type OpenTokSigner, type OpenTokSignerOptions } from './platforms/opentok.js';
import {
  type CreateRed5CloudClientOptions,
  createRed5CloudClient,
  grantedChatRights,
  Red5Client,
  red5CloudChatPlatform,
  red5CloudConferencePlatform,
} from './platforms/red5cloud.js';
import {
  createRed5ProSigner,
  RED5PRO_TRANSPORTS,
  type Red5ProSigner,
  type Red5ProSignerOptions,
  red5ProPlatform,
} from './platforms/red5pro.js';
import {
  createVonageVideoSigner,
  VONAGE_MAX_DATA_LENGTH,
  type VonageVideoSigner,
  type VonageVideoSignerOptions,
  vonagePlatform,
} from './platforms/vonage.js';
import { HttpProblem, jsonResponse, problemResponse, type TokenResponse } from './problem.js';
import { type Protocol, protocolNamed, type TokenProtocol } from './protocols.js';
import {
  type BodySource,
  DEFAULT_BODY_TIMEOUT_MS,
  describeIssues,
  MAX_BODY_BYTES,
  readJsonBody,
  SESSION_PATTERN,
  type TokenRequest,
} from './request.js';
import { ROLES, type Role, roleIncludes } from './roles.js';

type MaybePromise<T> = T | Promise<T>;

export interface AuthorizeContext<Native> {
  readonly identity: Identity;
  readonly request: TokenRequest;
  /** The framework's own request (Express `req`, Koa `ctx`). */
  readonly nativeRequest: Native;
  /** Which route asked: `roomkey` (`/tokens`) or one of the Red5 SDK's protocols. */
  readonly protocol: TokenProtocol;
}

export interface TokenIssuerOptions<Native> {
  /** Who is asking: the app's session, passport, JWT or API-key check. `null` answers 401. */
  identify(nativeRequest: Native): MaybePromise<Identity | null | undefined>;
  /**
   * What the caller may have. `false` answers 403. Without it every caller gets the least
   * privilege: `subscriber`, for the requested room only.
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
  /** A pino-compatible logger; roomkey logs nothing without one. */
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

/** The framework-neutral request an adapter hands the issuer. */
export interface IncomingTokenRequest<Native> extends BodySource {
  readonly method: string;
  /**
   * The client address as the framework resolved it (honouring its proxy settings). Read only
   * when an audit event is built, so an adapter may make it a getter.
   */
  readonly ip?: string | undefined;
  /** True when the framework says the request came over HTTPS (honouring its proxy settings). */
  readonly secure?: boolean | undefined;
  readonly native: Native;
}

export interface TokenIssuer<Native> {
  /** The names of the tokens this issuer can sign (`red5pro`, `conference`, `chat`, `vonage`). */
  readonly tokenNames: readonly string[];
  /**
   * Runs the whole pipeline for a request spoken in `protocol` (default `roomkey`, the
   * `/tokens` contract). Never rejects: failures become problem responses.
   */
  handle(request: IncomingTokenRequest<Native>, protocol?: TokenProtocol): Promise<TokenResponse>;
}

/** One token in a success response. */
export interface TokenGrantResult {
  readonly token: string;
  readonly expiresAt: string;
}

/** The success body (DESIGN.md, HTTP contract). */
export interface TokenResponseBody {
  readonly identity: string;
  readonly role: Role;
  readonly tokens: Readonly<Record<string, TokenGrantResult>>;
}

const ADDRESS_FIELDS: readonly AddressField[] = ['room', 'channel', 'session'];
const GRANT_TARGETS = { room: 'rooms', channel: 'channels', session: 'sessions' } as const;

/**
 * Creates the one issuing pipeline every adapter calls: parse, identify, authorize, check the
 * request against the grant, sign, audit. Options are checked here, once.
 *
 * @example
 * const issuer = createTokenIssuer({
 *   identify: (req) => (req.user ? { id: req.user.id } : null),
 *   authorize: ({ identity }) => ({ role: identity.isHost ? 'publisher' : 'subscriber', rooms: 'any' }),
 *   red5pro: { secret: process.env.RED5PRO_JWT_SECRET! },
 * });
 */
export function createTokenIssuer<Native>(options: TokenIssuerOptions<Native>): TokenIssuer<Native> {
  const config = checkOptions(options);
  const tokenNames = Object.freeze(config.platforms.map((platform) => platform.tokenName));

  const issuer: TokenIssuer<Native> = {
    tokenNames,
    async handle(request, protocolName = 'roomkey') {
      const protocol = protocolNamed(protocolName);
      const requestId = randomUUID();
      let userId: string | undefined;
      /** The failed-attempt point this request holds; kept only if it ends in 401 or 403. */
      let reservation: Reservation | undefined;
      let failedAttempt = false;
      try {
        if (request.method !== 'POST') {
          throw new HttpProblem('method_not_allowed', 'Request tokens with POST.', { allow: 'POST' });
        }
        if (config.requireHttps && request.secure !== true) {
          throw new HttpProblem('forbidden', 'Request tokens over HTTPS.');
        }
        reservation = await config.limits?.reserveAttempt(request.ip);
        const parsed = protocol.parse(await readJsonBody(request, config.maxBodyBytes, config.bodyTimeoutMs));
        const tokenRequest = parsed.request;
        const platforms = platformsFor(protocol, tokenRequest, config.platforms);
        for (const platform of platforms) checkTarget(platform, tokenRequest[platform.addressedBy] as string);

        const identity = checkIdentity(await callApp(() => config.identify(request.native), 'identify', true));
        if (identity === null) {
          throw new HttpProblem('unauthenticated', 'Sign in to request tokens.', {
            'www-authenticate': config.wwwAuthenticate,
          });
        }
        userId = identity.id;
        if (parsed.userId !== undefined && parsed.userId !== identity.id) {
          throw new HttpProblem('forbidden', 'The userId is not the signed-in user.');
        }

        const granted = config.authorize
          ? await callApp(
              () =>
                config.authorize?.({
                  identity,
                  request: tokenRequest,
                  nativeRequest: request.native,
                  protocol: protocolName,
                }),
              'authorize',
              true,
            )
          : defaultGrant(tokenRequest);
        if (granted === false) throw new HttpProblem('forbidden', 'You may not have tokens for this request.');
        let grant = checkGrant(granted);
        const role = checkRequestAgainstGrant(tokenRequest, grant);
        if (parsed.chat !== undefined) {
          const allowed = grantedChatRights(grant, role);
          if ((parsed.chat.read && !allowed.read) || (parsed.chat.write && !allowed.write)) {
            throw new HttpProblem('forbidden', 'The requested chat rights are not granted to you.');
          }
          // Exactly what was asked, now known to lie within the grant.
          grant = { ...grant, chat: parsed.chat };
        } else if (grant.chat !== undefined && !grant.chat.read && !grant.chat.write && usesPubNub(platforms)) {
          // Chat and conference tokens carry PubNub rights: a grant that gives none refuses them.
          throw new HttpProblem('forbidden', 'Your grant allows no chat rights, which this token needs.');
        }

        // The request's lifetime, else each platform's default; the grant caps either, and
        // so does each platform.
        const requested = tokenRequest.ttlMinutes === undefined ? undefined : tokenRequest.ttlMinutes * 60;
        const cap = grant.ttlMinutes === undefined ? Number.POSITIVE_INFINITY : grant.ttlMinutes * 60;
        const transports = tokenRequest.transports ?? grant.transports ?? [];
        const issue = (platform: TokenPlatform) =>
          issueOne(platform, {
            identity,
            grant,
            role,
            target: tokenRequest[platform.addressedBy] as string,
            transports,
            ttlSeconds: Math.min(
              requested ?? platform.defaultTtlSeconds ?? platform.maxTtlSeconds,
              cap,
              platform.maxTtlSeconds,
            ),
          });
        await config.limits?.spendTokens(identity.id, platforms.length);
        // One platform is the common case: no Promise.all for it (the hot path, see bench/).
        const [first, ...rest] = platforms as [TokenPlatform, ...TokenPlatform[]];
        const issued = rest.length === 0 ? [await issue(first)] : await Promise.all(platforms.map(issue));
        const tokens: Record<string, TokenGrantResult> = {};
        for (let index = 0; index < platforms.length; index++) {
          const { token, expiresAt } = issued[index] as IssuedToken;
          tokens[(platforms[index] as TokenPlatform).tokenName] = { token, expiresAt: expiresAt.toISOString() };
        }

        // An audit event is only built when something receives it.
        if (config.logger !== undefined || config.onIssued !== undefined) {
          const expiresAt: Record<string, string> = {};
          for (const [name, result] of Object.entries(tokens)) expiresAt[name] = result.expiresAt;
          const event: IssuedEvent = {
            type: 'issued',
            requestId,
            time: new Date(config.clock.now()).toISOString(),
            ip: request.ip,
            userId: identity.id,
            role,
            rooms: tokenRequest.room === undefined ? [] : [tokenRequest.room],
            channel: tokenRequest.channel,
            session: tokenRequest.session,
            transports,
            expiresAt,
          };
          config.logger?.info({ event: 'roomkey.issued', audit: event }, 'roomkey: tokens issued');
          await callApp(() => config.onIssued?.(event), 'onIssued');
        }

        const body: TokenResponseBody = { identity: identity.id, role, tokens };
        return jsonResponse(200, protocol.success(body));
      } catch (error) {
        if (error instanceof HttpProblem) {
          failedAttempt = error.status === 401 || error.status === 403;
          return deny(error, protocol, requestId, request.ip, userId, config);
        }
        config.logError(
          { event: 'roomkey.error', requestId, err: error instanceof AppCallbackError ? error.cause : error },
          error instanceof Error ? `roomkey: ${error.message}` : 'roomkey: unexpected failure',
        );
        return failed(protocol);
      } finally {
        if (reservation !== undefined && !failedAttempt) await release(reservation, requestId, config.logError);
      }
    },
  };
  ISSUERS.add(issuer);
  return issuer;
}

const ISSUERS = new WeakSet<object>();

/** Gives a failed-attempt point back; a store that fails here costs the client a point, no more. */
async function release(reservation: Reservation, requestId: string, logError: LogError): Promise<void> {
  try {
    await reservation.release();
  } catch (error) {
    logError({ event: 'roomkey.error', requestId, err: error }, 'roomkey: a failed-attempt point was not given back');
  }
}

/**
 * The issuer an adapter's route uses: `value` itself when it is an issuer from
 * {@link createTokenIssuer} (so several routes share one configuration), otherwise a new one made
 * from `value` as options. Throws a `TypeError` at start-up when the issuer cannot sign the
 * token the protocol answers with.
 *
 * @example
 * const issuer = createTokenIssuer({ identify, red5cloud: { masterKey, masterSecret } });
 * const chatIssuer = tokenIssuerFor(issuer, 'red5-chat');
 */
export function tokenIssuerFor<Native>(
  value: TokenIssuer<Native> | TokenIssuerOptions<Native>,
  protocol: TokenProtocol = 'roomkey',
): TokenIssuer<Native> {
  const { tokenName, needs } = protocolNamed(protocol);
  const issuer =
    typeof value === 'object' && value !== null && ISSUERS.has(value)
      ? (value as TokenIssuer<Native>)
      : createTokenIssuer(value as TokenIssuerOptions<Native>);
  if (tokenName !== undefined && !issuer.tokenNames.includes(tokenName)) {
    throw new TypeError(`the ${protocol} route answers with a "${tokenName}" token: configure ${needs}`);
  }
  return issuer;
}

function failed(protocol: Protocol): TokenResponse {
  return problemResponse(
    'internal_error',
    'The token service failed; the error has been logged.',
    {},
    protocol.problemMembers,
  );
}

const ISSUER_OPTIONS = [
  'identify',
  'authorize',
  'red5pro',
  'vonage',
  'opentok',
  'red5cloud',
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
] as const satisfies readonly (keyof TokenIssuerOptions<unknown>)[];

interface CheckedOptions<Native> {
  identify: TokenIssuerOptions<Native>['identify'];
  authorize: TokenIssuerOptions<Native>['authorize'];
  onIssued: TokenIssuerOptions<Native>['onIssued'];
  onDenied: TokenIssuerOptions<Native>['onDenied'];
  logger: Logger | undefined;
  /** Failures the operator must see (500s, platform or store failures): the logger, else stderr. */
  logError: LogError;
  platforms: readonly TokenPlatform[];
  wwwAuthenticate: string;
  maxBodyBytes: number;
  bodyTimeoutMs: number;
  requireHttps: boolean;
  limits: Limits | undefined;
  clock: Clock;
}

function checkOptions<Native>(options: TokenIssuerOptions<Native>): CheckedOptions<Native> {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('options must be an object with at least `identify` and one platform such as `red5pro`');
  }
  rejectUnknownOptions(options, ISSUER_OPTIONS, 'createTokenIssuer');
  const { identify, authorize, onIssued, onDenied } = options;
  if (typeof identify !== 'function') {
    throw new TypeError('identify must be a function (request) => { id } | null that says who is asking');
  }
  for (const [name, value] of Object.entries({ authorize, onIssued, onDenied })) {
    if (value !== undefined && typeof value !== 'function') throw new TypeError(`${name} must be a function`);
  }
  const clock = resolveClock(options.clock);
  const platforms = configuredPlatforms(options, clock);
  if (platforms.length === 0) {
    throw new TypeError(
      'configure at least one platform: red5pro: { secret }, red5cloud: { masterKey, masterSecret }, ' +
        'vonage: { applicationId, privateKey }, opentok: { apiKey, apiSecret } (or platforms: [...])',
    );
  }
  const names = platforms.map((platform) => platform.tokenName);
  const duplicate = names.find((name, index) => names.indexOf(name) !== index);
  if (duplicate !== undefined) throw new TypeError(`two platforms issue the token named "${duplicate}"`);

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

/** A signer passed in as is, or made from its options (with the issuer's clock unless they set one). */
function signerFrom<Signer extends object, Options extends { clock?: Clock }>(
  value: Signer | Options,
  create: (options: Options) => Signer,
  clock: Clock,
): Signer {
  if (typeof (value as { sign?: unknown }).sign === 'function') return value as Signer;
  return create({ clock, ...(value as Options) });
}

function configuredPlatforms<Native>(options: TokenIssuerOptions<Native>, clock: Clock): TokenPlatform[] {
  const platforms: TokenPlatform[] = [];
  if (options.red5pro !== undefined) {
    platforms.push(red5ProPlatform(signerFrom(options.red5pro, createRed5ProSigner, clock)));
  }
  if (options.vonage !== undefined && options.opentok !== undefined) {
    throw new TypeError('configure vonage or opentok, not both: each issues the "vonage" token for a session');
  }
  if (options.vonage !== undefined) {
    platforms.push(vonagePlatform(signerFrom(options.vonage, createVonageVideoSigner, clock)));
  }
  if (options.opentok !== undefined) {
    platforms.push(vonagePlatform(signerFrom(options.opentok, createOpenTokSigner, clock)));
  }
  if (options.red5cloud !== undefined) {
    const client =
      options.red5cloud instanceof Red5Client
        ? options.red5cloud
        : createRed5CloudClient({ clock, ...options.red5cloud });
    platforms.push(red5CloudConferencePlatform(client), red5CloudChatPlatform(client));
  }
  if (options.platforms !== undefined) {
    if (!Array.isArray(options.platforms)) throw new TypeError('platforms must be an array');
    platforms.push(...options.platforms);
  }
  return platforms;
}

/**
 * A target that passed the request schema but that a platform cannot use (a Red5 Cloud channel
 * too long for PubNub, a session of another OpenTok project): the client's mistake, 400.
 */
function checkTarget(platform: TokenPlatform, target: string): void {
  try {
    platform.checkTarget?.(target);
  } catch (error) {
    if (isRoomkeyError(error, 'invalid_claim')) {
      throw new HttpProblem('invalid_request', `The ${platform.addressedBy} cannot be used: ${error.message}.`);
    }
    throw error;
  }
}

/**
 * The request and its target were checked before signing, so a claim a signer still refuses
 * came from the app (an identity id too long for PubNub, a grant the platform cannot use):
 * the app's mistake, answered 500 and logged with the platform's reason.
 */
async function issueOne(platform: TokenPlatform, input: PlatformIssueInput): Promise<IssuedToken> {
  try {
    return await platform.issue(input);
  } catch (error) {
    if (isRoomkeyError(error, 'invalid_claim')) {
      throw new Error(
        `the ${platform.tokenName} token cannot be signed for what identify and authorize returned: ${error.message}`,
        { cause: error },
      );
    }
    if (isRoomkeyError(error, 'upstream_error')) {
      // The message names what failed (a status, a timeout) and is safe to log; the client
      // learns only that it may try again.
      throw new HttpProblem(
        'upstream_error',
        `The ${platform.tokenName} token could not be issued: a platform service failed. Try again shortly.`,
        {},
        { cause: error },
      );
    }
    throw error;
  }
}

/** A failure inside one of the app's callbacks: logged with its cause, answered with 500. */
class AppCallbackError extends Error {
  constructor(callback: string, cause: unknown) {
    super(`the app's ${callback} callback failed`, { cause });
  }
}

/**
 * Calls one of the app's callbacks. An `HttpProblem` thrown by `identify` or `authorize` is a
 * deliberate answer (a 401 with an RFC 6750 challenge, a 502 when the identity provider is
 * down) and is sent as is; anything else thrown is the app's failure: 500, logged.
 */
async function callApp<T>(call: () => MaybePromise<T>, name: string, answers = false): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (answers && error instanceof HttpProblem) throw error;
    throw new AppCallbackError(name, error);
  }
}

/** The platforms a request is for: the protocol's one token, or whatever the request addresses. */
function platformsFor(protocol: Protocol, request: TokenRequest, platforms: readonly TokenPlatform[]): TokenPlatform[] {
  if (protocol.tokenName === undefined) return addressedPlatforms(request, platforms);
  const platform = platforms.find((candidate) => candidate.tokenName === protocol.tokenName);
  // tokenIssuerFor checks this at start-up; a direct handle() call may still get here.
  if (platform === undefined) throw new Error(`this issuer cannot sign "${protocol.tokenName}" tokens`);
  return [platform];
}

function addressedPlatforms(request: TokenRequest, platforms: readonly TokenPlatform[]): TokenPlatform[] {
  const addressed = platforms.filter((platform) => request[platform.addressedBy] !== undefined);
  for (const field of ADDRESS_FIELDS) {
    if (request[field] !== undefined && !platforms.some((platform) => platform.addressedBy === field)) {
      throw new HttpProblem('invalid_request', `This service issues no tokens for "${field}".`);
    }
  }
  if (addressed.length === 0) {
    const fields = [...new Set(platforms.map((platform) => platform.addressedBy))];
    throw new HttpProblem(
      'invalid_request',
      `Name what the tokens are for: ${fields.map((field) => `"${field}"`).join(' or ')}.`,
    );
  }
  return addressed;
}

/** What a value is, in words that never repeat it: `a string`, `an array`, `true`… */
function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'boolean') return String(value);
  const type = typeof value;
  return `${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`;
}

const idMessage = 'identity.id must be a string of 1 to 256 characters';

const IdentitySchema = v.looseObject(
  {
    id: v.pipe(
      v.string(idMessage),
      v.minLength(1, idMessage),
      v.maxLength(256, idMessage),
      v.rawCheck(({ dataset, addIssue }) => {
        if (!dataset.typed) return;
        const flaw = describeNonCanonicalId(dataset.value);
        if (flaw !== undefined) addIssue({ message: `identity.id ${flaw}: roomkey uses ids exactly as given` });
      }),
    ),
  },
  'identity.id is missing: identify must return an object { id } or null',
);

/**
 * What identify returned, checked. Every message is fixed text or a kind ("a string"): an
 * app that returns a header by mistake must not find the header's value in its log.
 */
function checkIdentity(identity: unknown): Identity | null {
  if (identity === null || identity === undefined) return null;
  if (typeof identity !== 'object' || Array.isArray(identity)) {
    throw new Error(`identify must return an object { id } or null, not ${kindOf(identity)}`);
  }
  const result = v.safeParse(IdentitySchema, identity);
  if (!result.success) throw new Error(`identify returned an invalid identity: ${describeIssues(result.issues, '')}`);
  return identity as Identity;
}

// Every message is fixed text: a grant's values (which may be personal data) never reach a log.
const targetList = (what: string, pattern: RegExp) => {
  const message = `grant.${what} must be 'any' or an array of valid ${what}`;
  return v.union([v.literal('any'), v.array(v.pipe(v.string(message), v.regex(pattern, message)), message)], message);
};

const transportsMessage = `grant.transports must be 'any' or a list of ${RED5PRO_TRANSPORTS.join(', ')}`;
const emptyTransportsMessage =
  "grant.transports is an empty list: list the transports the caller may use, say 'any', or leave it out to grant none";
const ttlMessage = 'grant.ttlMinutes must be a whole number of minutes, at least 1';
const nameMessage = 'grant.name must be 1-256 characters without control characters';
const chatMessage = 'grant.chat must be an object { read?: boolean, write?: boolean }';
const dataMessage = `grant.connectionData must be a string of at most ${VONAGE_MAX_DATA_LENGTH} characters`;

const GrantSchema = v.strictObject(
  {
    role: v.picklist(ROLES, `grant.role must be one of ${ROLES.join(', ')}`),
    rooms: v.optional(targetList('rooms', NAME_PATTERN)),
    channels: v.optional(targetList('channels', NAME_PATTERN)),
    sessions: v.optional(targetList('sessions', SESSION_PATTERN)),
    transports: v.optional(
      v.union(
        [
          v.literal('any'),
          v.pipe(
            v.array(
              v.pipe(
                v.string(transportsMessage),
                v.regex(ASCII_LETTERS, transportsMessage),
                v.toUpperCase(),
                v.picklist(RED5PRO_TRANSPORTS, transportsMessage),
              ),
              transportsMessage,
            ),
            v.minLength(1, emptyTransportsMessage),
          ),
        ],
        transportsMessage,
      ),
    ),
    ttlMinutes: v.optional(v.pipe(v.number(ttlMessage), v.integer(ttlMessage), v.minValue(1, ttlMessage))),
    name: v.optional(
      v.pipe(
        v.string(nameMessage),
        v.minLength(1, nameMessage),
        v.maxLength(256, nameMessage),
        v.check((name) => !hasControlCharacter(name), nameMessage),
      ),
    ),
    connectionData: v.optional(v.pipe(v.string(dataMessage), v.maxLength(VONAGE_MAX_DATA_LENGTH, dataMessage))),
    chat: v.optional(
      v.strictObject(
        { read: v.optional(v.boolean(chatMessage)), write: v.optional(v.boolean(chatMessage)) },
        chatMessage,
      ),
    ),
  },
  (issue) => `authorize must return a grant object { role, … } or false, not ${kindOf(issue.input)}`,
);

/** A grant is the app's output: a malformed one is the app's bug (500), never the client's. */
function checkGrant(grant: unknown): Grant {
  if (typeof grant === 'object' && grant !== null) {
    const unknown = describeUnknownKey(grant, Object.keys(GrantSchema.entries), 'field');
    if (unknown !== undefined) throw new Error(`authorize returned a grant with an ${unknown}`);
  }
  const result = v.safeParse(GrantSchema, grant);
  if (!result.success) throw new Error(`authorize returned an invalid grant: ${describeIssues(result.issues, '')}`);
  return result.output as Grant;
}

/** Whether any of these tokens holds a PubNub grant (Red5 Cloud chat and conference). */
function usesPubNub(platforms: readonly TokenPlatform[]): boolean {
  return platforms.some(({ tokenName }) => tokenName === 'chat' || tokenName === 'conference');
}

/** Step 4: the request must lie within the grant; returns the role to issue. */
function checkRequestAgainstGrant(request: TokenRequest, grant: Grant): Role {
  const role = request.role ?? grant.role;
  if (!roleIncludes(grant.role, role)) {
    throw new HttpProblem('forbidden', `The role "${role}" is not granted to you.`);
  }
  for (const field of ADDRESS_FIELDS) {
    const target = request[field];
    // Absent from the grant: none. 'any': every valid target.
    const allowed = grant[GRANT_TARGETS[field]] ?? [];
    if (target !== undefined && allowed !== 'any' && !allowed.includes(target)) {
      throw new HttpProblem('forbidden', `The requested ${field} is not granted to you.`);
    }
  }
  const granted = grant.transports ?? [];
  if (request.transports !== undefined && granted !== 'any') {
    if (request.transports.some((transport) => !granted.includes(transport))) {
      throw new HttpProblem('forbidden', 'A requested transport is not granted to you.');
    }
  }
  return role;
}

async function deny<Native>(
  problem: HttpProblem,
  protocol: Protocol,
  requestId: string,
  ip: string | undefined,
  userId: string | undefined,
  config: CheckedOptions<Native>,
): Promise<TokenResponse> {
  const event: DeniedEvent = {
    type: 'denied',
    requestId,
    time: new Date(config.clock.now()).toISOString(),
    ip,
    status: problem.status,
    code: problem.code,
    reason: problem.message,
    userId,
  };
  if (problem.status >= 500) {
    // A platform service failed: the operator needs what failed (the cause's message names a
    // status or a timeout, never a credential).
    const cause = problem.cause instanceof Error ? problem.cause.message : undefined;
    config.logError({ event: 'roomkey.denied', audit: event, cause }, `roomkey: request failed (${problem.code})`);
  } else {
    const level = problem.status === 401 || problem.status === 403 ? 'warn' : 'info';
    config.logger?.[level]({ event: 'roomkey.denied', audit: event }, `roomkey: request denied (${problem.code})`);
  }
  try {
    await config.onDenied?.(event);
  } catch (error) {
    config.logError({ event: 'roomkey.error', requestId, err: error }, "roomkey: the app's onDenied callback failed");
    return failed(protocol);
  }
  return problemResponse(problem.code, problem.message, problem.headers, protocol.problemMembers);
}
