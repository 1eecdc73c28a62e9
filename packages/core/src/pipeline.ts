import { randomUUID } from 'node:crypto';
import type { DeniedEvent, IssuedEvent, LogError } from './audit.js';
import { isRoomkeyError, RoomkeyError } from './errors.js';
import { checkGrant, checkRequestAgainstGrant, defaultGrant, type Grant } from './grant.js';
import { checkIdentity, MAX_USER_ID_LENGTH } from './identity.js';
import { checkIssuerOptions, type IssuerConfig, type TokenIssuerOptions } from './issuer-options.js';
import type { Reservation } from './limits.js';
import { describeNonCanonicalId } from './names.js';
import type { IssuedEntry, IssuedToken, PlatformIssueInput, TokenPlatform } from './platform.js';
import { HttpProblem, jsonResponse, problemResponse, type TokenResponse } from './problem.js';
import { type Protocol, protocolNamed, type TokenProtocol } from './protocols.js';
import { type BodySource, type RequestShape, readJsonBody, type TokenRequest } from './request.js';
import type { Role } from './roles.js';

export type { AuthorizeContext, TokenIssuerOptions } from './issuer-options.js';

/** The framework-neutral request an adapter hands the issuer: Node or Web, whatever the framework. */
export interface IncomingTokenRequest<Native> extends BodySource {
  readonly method: string;
  /**
   * The client address as the framework resolved it (honouring its proxy settings). Read only
   * when it is needed (rate limits, audit events), so an adapter may make it a getter.
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
  /**
   * Checks that every token this issuer signs can carry `userId`: roomkey's own rules (1 to 256
   * characters, canonical form) and each platform's limits (PubNub's 64-character uuid for Red5
   * Cloud). Throws a `RoomkeyError` with code `invalid_claim` whose message names the rule and
   * the token, never the value. For services that learn a user id before the pipeline runs.
   */
  checkUserId(userId: string): void;
}

/**
 * One entry of a success response: `{ token, expiresAt }`, or for credentials that are not one
 * token (TURN's `iceServers`) the platform's own fields beside `expiresAt`.
 */
export interface TokenGrantResult {
  readonly token: string;
  readonly expiresAt: string;
}

/** The success body of `POST /tokens`. */
export interface TokenResponseBody {
  readonly identity: string;
  readonly role: Role;
  readonly tokens: Readonly<Record<string, TokenGrantResult>>;
}

/** What one request carries through the pipeline, for its answer, its audit event and its log lines. */
interface Exchange<Native> {
  readonly request: IncomingTokenRequest<Native>;
  readonly protocol: Protocol;
  readonly protocolName: TokenProtocol;
  requestId: string | undefined;
  userId: string | undefined;
  /** The failed-attempt point this request holds, while it holds one. */
  reservation: Reservation | undefined;
  /**
   * Whether the point goes back: once the caller is identified, or when the request is refused
   * before `identify` runs (a malformed body is no guess), or when `identify` refuses it as
   * malformed (400) or a service it needs failed (5xx). Kept otherwise: a 401, a 403, an
   * `identify` that throws anything else (as a JWT check does on a forged token).
   */
  refund: boolean;
}

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  typeof (value as { then?: unknown } | null)?.then === 'function';

/**
 * Creates the one issuing pipeline every adapter calls: parse, identify, authorize, check the
 * request against the grant, sign, audit. Options are checked here, once.
 *
 * @example
 * const issuer = createTokenIssuer({
 *   identify: (req: { user?: { id: string } }) => (req.user ? { id: req.user.id } : null),
 *   authorize: () => ({ role: 'subscriber', rooms: 'any', transports: 'any' }),
 *   red5pro: { secret: process.env.RED5PRO_JWT_SECRET },
 * });
 * @param caller The function the app called, named in the message of a misspelt option (an
 * adapter passes its own: `issueTokens`, `tokenRoutes`…).
 */
export function createTokenIssuer<Native>(
  options: TokenIssuerOptions<Native>,
  caller = 'createTokenIssuer',
): TokenIssuer<Native> {
  const config = checkIssuerOptions(options, caller);
  const issuer: TokenIssuer<Native> = {
    tokenNames: Object.freeze(config.platforms.map((platform) => platform.tokenName)),
    async handle(request, protocolName = 'roomkey') {
      const exchange: Exchange<Native> = {
        request,
        protocol: protocolNamed(protocolName),
        protocolName,
        requestId: undefined,
        userId: undefined,
        reservation: undefined,
        refund: false,
      };
      try {
        return await issue(exchange, config);
      } catch (thrown) {
        let error = thrown;
        if (error instanceof HttpProblem) {
          // 401 and 403 are failed attempts. Anything else before or after identify is not a guess
          // at a credential. From identify itself only two refusals are not guesses either: a request
          // it refused as malformed (400, such as a service key without its user header), or a
          // platform, identity provider or store that failed (5xx); any other (a 404 "no such
          // user") would let one address guess for free.
          exchange.refund =
            error.status !== 401 &&
            error.status !== 403 &&
            (exchange.refund || error.status === 400 || error.status >= 500);
          try {
            return await deny(error, exchange, config);
          } catch (failure) {
            // An adapter's `ip` or a logger that throws: still an answer, never a rejection.
            error = failure;
          }
        }
        config.logError(
          {
            event: 'roomkey.error',
            requestId: requestIdOf(exchange),
            err: error instanceof AppCallbackError ? error.cause : error,
          },
          error instanceof Error ? `roomkey: ${error.message}` : 'roomkey: unexpected failure',
        );
        return failed(exchange.protocol);
      } finally {
        // Given back without holding the answer; a store that fails here costs a point, no more.
        if (exchange.reservation !== undefined && exchange.refund) void release(exchange, config.logError);
      }
    },
    checkUserId: (userId) => checkUserId(config.platforms, userId),
  };
  ISSUERS.set(issuer, config.platforms);
  return issuer;
}

/** What every audit event says of its request: its id, the time, the client address. */
function eventBase(exchange: Exchange<unknown>, config: IssuerConfig<never>) {
  return {
    requestId: requestIdOf(exchange),
    time: new Date(config.clock.now()).toISOString(),
    ip: exchange.request.ip,
  };
}

/** The request id, made when a log line or audit event first needs one. */
const requestIdOf = (exchange: Exchange<unknown>) => (exchange.requestId ??= randomUUID());

/** The steps of a request that ends in tokens; every refusal is thrown as an `HttpProblem`. */
async function issue<Native>(exchange: Exchange<Native>, config: IssuerConfig<Native>): Promise<TokenResponse> {
  const { request, protocol } = exchange;
  if (request.method !== 'POST') {
    throw new HttpProblem('method_not_allowed', 'Request tokens with POST.', { allow: 'POST' });
  }
  if (config.requireHttps && request.secure !== true) throw new HttpProblem('forbidden', 'Request tokens over HTTPS.');
  if (config.limits !== undefined) exchange.reservation = await config.limits.reserveAttempt(request.ip);
  exchange.refund = true;

  // 1. Parse: the body and its targets, before anyone is identified.
  const body = readJsonBody(request, config.maxBodyBytes, config.bodyTimeoutMs);
  const parsed = protocol.parse(isThenable(body) ? await body : body, config.parseRequest);
  const tokenRequest = parsed.request;
  const platforms = platformsFor(protocol, tokenRequest, config.platforms, config.requestShape);
  for (const platform of platforms) {
    const target = tokenRequest[platform.addressedBy];
    if (typeof target === 'string') checkTarget(platform, target);
  }

  // 2. Identify. Until it has answered with someone, the request is an attempt.
  exchange.refund = false;
  const returned = callApp(config.identify, request.native, 'identify', true);
  const identity = checkIdentity(isThenable(returned) ? await returned : returned);
  if (identity === null) {
    throw new HttpProblem('unauthenticated', 'Sign in to request tokens.', {
      'www-authenticate': config.wwwAuthenticate,
    });
  }
  exchange.userId = identity.id;
  exchange.refund = true;
  if (parsed.userId !== undefined && parsed.userId !== identity.id) {
    throw new HttpProblem('forbidden', `The ${protocol.userIdField ?? 'userId'} is not the signed-in user.`);
  }

  // 3. Authorize, and 4. check the request against the grant.
  const { authorize } = config;
  const context = { identity, request: tokenRequest, nativeRequest: request.native, protocol: exchange.protocolName };
  const granted: Grant | false | Promise<Grant | false> =
    authorize === undefined
      ? defaultGrant(tokenRequest, config.requestShape, config.grantShape)
      : callApp(authorize, context, 'authorize', true);
  const answer = isThenable(granted) ? await granted : granted;
  if (answer === false) throw new HttpProblem('forbidden', 'You may not have tokens for this request.');
  let grant = checkGrant(answer, config.grantShape);
  const role = checkRequestAgainstGrant(tokenRequest, grant, config.requestShape);
  if (protocol.narrow !== undefined) grant = protocol.narrow(grant, role, parsed);
  for (const platform of platforms) platform.checkGrant?.(grant, role);

  // 5. Sign: one token per platform the request addresses.
  if (config.limits !== undefined) await config.limits.spendTokens(identity.id, platforms.length);
  const requested = tokenRequest.ttlMinutes === undefined ? undefined : tokenRequest.ttlMinutes * 60;
  const cap = grant.ttlMinutes === undefined ? Number.POSITIVE_INFINITY : grant.ttlMinutes * 60;
  const inputFor = (platform: TokenPlatform): PlatformIssueInput => ({
    identity,
    grant,
    role,
    target: targetOf(tokenRequest, platform),
    request: tokenRequest,
    // The request's lifetime, else the platform's default; the grant caps either, as does the platform.
    ttlSeconds: Math.min(
      requested ?? platform.defaultTtlSeconds ?? platform.maxTtlSeconds,
      cap,
      platform.maxTtlSeconds,
    ),
  });
  const tokens: Record<string, TokenGrantResult> = {};
  if (platforms.length === 1) {
    // The common case: no Promise.all, and no turn waited for a platform that signs at once.
    const platform = platforms[0] as TokenPlatform;
    const signed = issueOne(platform, inputFor(platform));
    tokens[platform.tokenName] = answerEntry(isThenable(signed) ? await signed : signed);
  } else {
    const signed = await Promise.all(platforms.map((platform) => issueOne(platform, inputFor(platform))));
    platforms.forEach((platform, index) => {
      tokens[platform.tokenName] = answerEntry(signed[index] as IssuedToken | IssuedEntry);
    });
  }

  // 6. Audit: an event is only built when something receives it.
  if (config.logger !== undefined || config.onIssued !== undefined) {
    await audit(exchange, config, { identity: identity.id, role, tokens }, tokenRequest, grant);
  }
  const result = { identity: identity.id, role, tokens };
  return jsonResponse(
    protocol.status ?? 200,
    undefined,
    protocol.render?.(result) ??
      JSON.stringify(protocol.success(result, parsed, protocol.tokenName === undefined ? undefined : platforms[0])),
  );
}

/** The target a platform is issued for: its field's value, or for a flag (`"turn": true`) the field's name. */
function targetOf(request: TokenRequest, platform: TokenPlatform): string {
  const value = request[platform.addressedBy];
  return typeof value === 'string' ? value : platform.addressedBy;
}

/** A platform's answer as an entry of the response's `tokens`. */
function answerEntry(signed: IssuedToken | IssuedEntry): TokenGrantResult {
  const expiresAt = signed.expiresAt.toISOString();
  if ('entry' in signed) return { ...signed.entry, expiresAt } as unknown as TokenGrantResult;
  return { token: signed.token, expiresAt };
}

async function audit<Native>(
  exchange: Exchange<Native>,
  config: IssuerConfig<Native>,
  body: TokenResponseBody,
  tokenRequest: TokenRequest,
  grant: Grant,
): Promise<void> {
  const expiresAt: Record<string, string> = {};
  for (const [name, result] of Object.entries(body.tokens)) expiresAt[name] = result.expiresAt;
  const event: IssuedEvent = {
    type: 'issued',
    ...eventBase(exchange, config),
    userId: body.identity,
    role: body.role,
    rooms: tokenRequest.room === undefined ? [] : [tokenRequest.room],
    channel: tokenRequest.channel,
    session: tokenRequest.session,
    // The audit event's own field: what a Red5 Pro token carries (requested, else granted).
    transports: tokenRequest.transports ?? grant.transports ?? [],
    expiresAt,
  };
  config.logger?.info({ event: 'roomkey.issued', audit: event }, 'roomkey: tokens issued');
  if (config.onIssued !== undefined) await callApp(config.onIssued, event, 'onIssued');
}

/** Every issuer made here, with its platforms (for the routes' start-up checks). */
const ISSUERS = new WeakMap<object, readonly TokenPlatform[]>();

/** Gives a failed-attempt point back; a store that fails here costs the client a point, no more. */
async function release(exchange: Exchange<unknown>, logError: LogError): Promise<void> {
  try {
    await exchange.reservation?.release();
  } catch (error) {
    logError(
      { event: 'roomkey.error', requestId: requestIdOf(exchange), err: error },
      'roomkey: a failed-attempt point was not given back',
    );
  }
}

/**
 * The issuer an adapter's route uses: `value` itself when it is an issuer from
 * {@link createTokenIssuer} (so several routes share one configuration), otherwise a new one made
 * from `value` as options, whose mistakes name `caller` (the route factory the app called).
 * Throws a `TypeError` at start-up when the issuer cannot sign the token the protocol answers with.
 *
 * @example
 * const issuer = createTokenIssuer({ identify, red5cloud: { masterKey, masterSecret } });
 * const chatIssuer = tokenIssuerFor(issuer, 'red5-chat', 'issueRed5ChatToken');
 */
export function tokenIssuerFor<Native>(
  value: TokenIssuer<Native> | TokenIssuerOptions<Native>,
  protocol: TokenProtocol = 'roomkey',
  caller = 'createTokenIssuer',
): TokenIssuer<Native> {
  const route = protocolNamed(protocol);
  const { tokenName, needs } = route;
  const issuer =
    typeof value === 'object' && value !== null && ISSUERS.has(value)
      ? (value as TokenIssuer<Native>)
      : createTokenIssuer(value as TokenIssuerOptions<Native>, caller);
  if (tokenName !== undefined && !issuer.tokenNames.includes(tokenName)) {
    throw new TypeError(`the ${protocol} route answers with a "${tokenName}" token: configure ${needs}`);
  }
  const platform = ISSUERS.get(issuer)?.find((candidate) => candidate.tokenName === tokenName);
  if (platform !== undefined) route.checkPlatform?.(platform);
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

function checkUserId(platforms: readonly TokenPlatform[], userId: string): void {
  if (typeof userId !== 'string' || userId.length === 0 || userId.length > MAX_USER_ID_LENGTH) {
    throw new RoomkeyError('invalid_claim', `a user id must have 1 to ${MAX_USER_ID_LENGTH} characters`);
  }
  const flaw = describeNonCanonicalId(userId);
  if (flaw !== undefined)
    throw new RoomkeyError('invalid_claim', `a user id must be in canonical form, and it ${flaw}`);
  for (const platform of platforms) {
    try {
      platform.checkUserId?.(userId);
    } catch (error) {
      if (!isRoomkeyError(error, 'invalid_claim')) throw error;
      throw new RoomkeyError('invalid_claim', `${platform.tokenName} tokens cannot carry it: ${error.message}`, {
        cause: error,
      });
    }
  }
}

/**
 * Signs one token. The request and its target were checked before, so a claim a signer still
 * refuses came from the app (an identity id too long for PubNub, a grant the platform cannot
 * use): the app's mistake, answered 500 and logged with the platform's reason.
 */
function issueOne(
  platform: TokenPlatform,
  input: PlatformIssueInput,
): IssuedToken | IssuedEntry | Promise<IssuedToken | IssuedEntry> {
  try {
    const signed = platform.issue(input);
    return isThenable(signed) ? Promise.resolve(signed).catch((error) => platformFailure(platform, error)) : signed;
  } catch (error) {
    return platformFailure(platform, error);
  }
}

function platformFailure(platform: TokenPlatform, error: unknown): never {
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

/** A failure inside one of the app's callbacks: logged with its cause, answered with 500. */
class AppCallbackError extends Error {
  constructor(callback: string, cause: unknown) {
    super(`the app's ${callback} callback failed`, { cause });
  }
}

/**
 * Calls one of the app's callbacks, which may answer at once or with a promise. An
 * `HttpProblem` thrown by `identify` or `authorize` is a deliberate answer (a 401 with an RFC 6750
 * challenge, a 502 when the identity provider is down) and is sent as is; anything else thrown
 * is the app's failure: 500, logged.
 */
function callApp<A, T>(
  callback: (argument: A) => T | Promise<T>,
  argument: A,
  name: string,
  answers = false,
): T | Promise<T> {
  let result: T | Promise<T>;
  try {
    result = callback(argument);
  } catch (error) {
    return appFailure(error, name, answers);
  }
  return isThenable(result) ? Promise.resolve(result).catch((error) => appFailure(error, name, answers)) : result;
}

function appFailure(error: unknown, name: string, answers: boolean): never {
  if (answers && error instanceof HttpProblem) throw error;
  throw new AppCallbackError(name, error);
}

/** The platforms a request is for: the protocol's one token, or whatever the request addresses. */
function platformsFor(
  protocol: Protocol,
  request: TokenRequest,
  platforms: readonly TokenPlatform[],
  shape: RequestShape,
): TokenPlatform[] {
  if (protocol.tokenName === undefined) return addressedPlatforms(request, platforms, shape);
  const platform = platforms.find((candidate) => candidate.tokenName === protocol.tokenName);
  // tokenIssuerFor checks this at start-up; a direct handle() call may still get here.
  if (platform === undefined) throw new Error(`this issuer cannot sign "${protocol.tokenName}" tokens`);
  return [platform];
}

/** A field's value addresses its platforms: a target that is there, a flag that is `true`. */
const addresses = (value: unknown) => value !== undefined && value !== false;

function addressedPlatforms(
  request: TokenRequest,
  platforms: readonly TokenPlatform[],
  shape: RequestShape,
): TokenPlatform[] {
  const addressed = platforms.filter((platform) => addresses(request[platform.addressedBy]));
  for (const [field, spec] of shape.fields) {
    if (spec.kind === 'option' || !addresses(request[field])) continue;
    if (!platforms.some((platform) => platform.addressedBy === field)) {
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

async function deny<Native>(
  problem: HttpProblem,
  exchange: Exchange<Native>,
  config: IssuerConfig<Native>,
): Promise<TokenResponse> {
  const { protocol } = exchange;
  if (config.logger !== undefined || config.onDenied !== undefined || problem.status >= 500) {
    const event: DeniedEvent = {
      type: 'denied',
      ...eventBase(exchange, config),
      status: problem.status,
      code: problem.code,
      reason: problem.message,
      userId: exchange.userId,
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
      config.logError(
        { event: 'roomkey.error', requestId: event.requestId, err: error },
        "roomkey: the app's onDenied callback failed",
      );
      return failed(protocol);
    }
  }
  return problemResponse(problem.code, problem.message, problem.headers, protocol.problemMembers);
}
