import { createHash } from 'node:crypto';
import {
  decodeJwt,
  decodeProtectedHeader,
  type JWTHeaderParameters,
  type JWTPayload,
  errors as joseErrors,
  jwtVerify,
} from 'jose';
import { checkLogger, type Logger } from './audit.js';
import { type Clock, resolveClock } from './clock.js';
import type { Identity } from './grant.js';
import { MAX_USER_ID_LENGTH } from './identity.js';
import { describeNonCanonicalId, hasControlCharacter } from './names.js';
import { HttpProblem } from './problem.js';
import { type ProviderKeySet, type ProviderKeys, providerKeys, upstream } from './provider-keys.js';

type MaybePromise<T> = T | Promise<T>;

/**
 * Asymmetric JWS algorithms an identity provider signs access tokens with. Symmetric ones
 * (`HS256`…) and `none` are never accepted: a JWKS holds public keys, and a token "signed"
 * with a public key as an HMAC secret is the classic algorithm-confusion attack.
 */
export const BEARER_JWT_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const;
export type BearerJwtAlgorithm = (typeof BEARER_JWT_ALGORITHMS)[number];

/** The identity {@link bearerJwtIdentity} returns by default: the subject, and every verified claim. */
export interface BearerJwtIdentity extends Identity {
  /** The access token's verified claims, for `authorize` to map roles or groups to a grant. */
  readonly claims: JWTPayload;
}

export interface BearerJwtIdentityOptions {
  /** The identity provider's issuer URL, exactly as its tokens' `iss` (and its discovery document) say. */
  readonly issuer: string;
  /** The audience (API identifier) access tokens must be issued for: one, or any of several. */
  readonly audience: string | readonly string[];
  /**
   * Where the provider publishes its signing keys. Absent: read from
   * `{issuer}/.well-known/openid-configuration` (`jwks_uri`) at the first request.
   */
  readonly jwksUrl?: string | URL;
  /** Accepted signature algorithms, asymmetric only. Default `['RS256']`. */
  readonly algorithms?: readonly BearerJwtAlgorithm[];
  /** Leeway for `exp` and `nbf`, in whole seconds from 0 to 300. Default 0. */
  readonly clockToleranceSeconds?: number;
  /**
   * The client (or clients) whose access tokens are accepted: the token's `azp` and, when
   * present, its `client_id` (RFC 9068) must each be one of them, and one of the two must be
   * there. Default: not checked, so any client of the provider that obtains a token for the
   * audience is accepted.
   */
  readonly authorizedParties?: string | readonly string[];
  /**
   * The `typ` header the token must carry, such as `at+jwt` for RFC 9068 access tokens (an
   * `application/` prefix is ignored on both sides). Default: not checked.
   */
  readonly requiredType?: string;
  /**
   * The claim the default identity is taken from. Default `sub`. Its value must be a user id
   * roomkey can put in a token (1 to 256 characters in canonical form): another value is
   * refused with 403 and reported once to `logger`. Not used when `toIdentity` is given.
   */
  readonly subjectClaim?: string;
  /**
   * Maps the verified claims to the identity. Default: `{ id: claims[subjectClaim], claims }`.
   * Return `null` to refuse a valid token that names no user of this app (401). The claims are
   * added as `claims` unless the result sets that key itself. An id it returns that no token
   * can carry is the app's mistake (500).
   */
  toIdentity?(claims: JWTPayload): MaybePromise<Identity | null>;
  /** The `realm` of the `WWW-Authenticate` challenge. Default `roomkey`. */
  readonly realm?: string;
  /**
   * The least time between two fetches from the provider caused by an unknown `kid` or after a
   * failed fetch, in seconds. Default 30: a flood of tokens with made-up key ids, or of requests
   * while the provider fails, costs the provider one request (the failure is answered again,
   * 502 with `Retry-After`, until the cooldown ends).
   */
  readonly jwksCooldownSeconds?: number;
  /** How long fetched keys are used before they are fetched again, in seconds. Default 600. */
  readonly jwksCacheMaxAgeSeconds?: number;
  /**
   * How long past `jwksCacheMaxAgeSeconds` the keys in hand are still used while fetching them
   * again fails, in seconds from 0 to 604800. Default 3600: an outage of the provider of up to
   * an hour does not refuse valid tokens; keys are never used longer than
   * `jwksCacheMaxAgeSeconds + jwksStaleIfErrorSeconds` after they were fetched.
   */
  readonly jwksStaleIfErrorSeconds?: number;
  /**
   * How long a fetch from the provider may take, body included, in milliseconds. Default 5000.
   * A discovery document or key set over 256 KiB is refused too (502).
   */
  readonly timeoutMs?: number;
  /**
   * Where a configuration warning goes: a subject claim no token can carry is reported once per
   * distinct subject (`warn`), never its value. Default: not reported.
   */
  readonly logger?: Logger;
  /** Where time comes from for `exp`, `nbf` and the key set's age. Tests freeze it. */
  readonly clock?: Clock;
}

/**
 * An `identify` callback for every adapter that verifies the caller's
 * `Authorization: Bearer` access token from the app's identity provider (Auth0, Keycloak,
 * Cognito, Entra ID…) against the provider's published keys (cached; an unknown `kid` fetches
 * them again, at most once per cooldown). The token's shape and header are checked before the
 * provider is asked anything, at most one fetch is in flight, a failed fetch is answered again
 * (502, `Retry-After`) until the cooldown ends, and keys in hand stay in use while a refresh
 * fails (`jwksStaleIfErrorSeconds`). Algorithms are pinned; issuer, audience and expiry are
 * checked, and `azp`/`client_id` and `typ` when asked for. Options are checked now and throw a `TypeError` that says what to fix. It reads
 * the header from any request with Node-style `headers` (Express `req`, Koa `ctx`, Fastify
 * `request`) or Web `Headers` (a Fetch `Request`).
 *
 * A missing token answers 401 with `WWW-Authenticate: Bearer realm="…"`; an invalid or expired
 * one 401 with `error="invalid_token"` (RFC 6750); a subject no token can carry 403; an
 * unreachable provider 502. `authorize` receives the claims as `identity.claims`.
 *
 * @example
 * const identify = bearerJwtIdentity({ issuer: 'https://example.eu.auth0.com/', audience: 'https://video.example.com' });
 * app.all('/tokens', issueTokens({
 *   identify,
 *   authorize: ({ identity }) =>
 *     (identity.claims as { roles?: string[] }).roles?.includes('host') ? { role: 'publisher', rooms: 'any' } : false,
 *   red5pro: { secret: process.env.RED5PRO_JWT_SECRET ?? '' },
 * }));
 */
export function bearerJwtIdentity(options: BearerJwtIdentityOptions): (request: unknown) => Promise<Identity> {
  const config = checkOptions(options);
  const challenge = `Bearer realm="${config.realm}"`;
  const refuse = (description: string) =>
    new HttpProblem('unauthenticated', `${description}.`, {
      'www-authenticate': `${challenge}, error="invalid_token", error_description="${description}"`,
    });
  const resolveKey = keyResolver(
    providerKeys({
      issuer: config.issuer,
      jwksUrl: config.jwksUrl,
      cooldownMs: config.cooldownMs,
      cacheMaxAgeMs: config.cacheMaxAgeMs,
      staleIfErrorMs: config.staleIfErrorMs,
      timeoutMs: config.timeoutMs,
      clock: config.clock,
      checkUrl: checkProviderUrl,
    }),
  );
  const report = subjectReporter(config);

  return async function identifyBearerJwt(request) {
    const token = bearerToken(request);
    if (token === undefined) {
      // RFC 6750 §3.1: a request without credentials gets a challenge without an error code.
      throw new HttpProblem('unauthenticated', 'Send an access token as Authorization: Bearer <token>.', {
        'www-authenticate': challenge,
      });
    }
    if (token === null) throw refuse('The Authorization header is not a single Bearer token');
    // Before any key is fetched: garbage never costs the identity provider a request.
    checkShape(token, config.algorithms, refuse);

    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(token, resolveKey, {
        algorithms: [...config.algorithms],
        issuer: config.issuer,
        audience: [...config.audience],
        requiredClaims: ['exp'],
        clockTolerance: config.clockToleranceSeconds,
        currentDate: new Date(config.clock.now()),
        ...(config.requiredType !== undefined && { typ: config.requiredType }),
      }));
    } catch (error) {
      throw translate(error, refuse);
    }
    if (config.authorizedParties !== undefined) checkAuthorizedParty(claims, config.authorizedParties, refuse);
    const mapped =
      config.toIdentity === undefined
        ? subjectIdentity(claims, config.subjectClaim, report)
        : await config.toIdentity(claims);
    if (mapped === null || mapped === undefined) throw refuse('The access token names no user of this service');
    return { claims, ...mapped };
  };
}

interface CheckedOptions {
  issuer: string;
  audience: readonly string[];
  jwksUrl: URL | undefined;
  algorithms: readonly BearerJwtAlgorithm[];
  clockToleranceSeconds: number;
  authorizedParties: readonly string[] | undefined;
  requiredType: string | undefined;
  subjectClaim: string;
  toIdentity: ((claims: JWTPayload) => MaybePromise<Identity | null>) | undefined;
  realm: string;
  cooldownMs: number;
  cacheMaxAgeMs: number;
  staleIfErrorMs: number;
  timeoutMs: number;
  logger: Logger | undefined;
  clock: Clock;
}

const KNOWN_OPTIONS = new Set([
  'issuer',
  'audience',
  'jwksUrl',
  'algorithms',
  'clockToleranceSeconds',
  'authorizedParties',
  'requiredType',
  'subjectClaim',
  'toIdentity',
  'realm',
  'jwksCooldownSeconds',
  'jwksCacheMaxAgeSeconds',
  'jwksStaleIfErrorSeconds',
  'timeoutMs',
  'logger',
  'clock',
]);

/** A `typ` value: a media type's subtype (`at+jwt`) or a whole media type (`application/at+jwt`). */
const MEDIA_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}(\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126})?$/;

function checkOptions(options: BearerJwtIdentityOptions): CheckedOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('bearerJwtIdentity needs options { issuer, audience }: your identity provider and API');
  }
  for (const name of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(name)) {
      throw new TypeError(`bearerJwtIdentity has no option "${name}"; known: ${[...KNOWN_OPTIONS].join(', ')}`);
    }
  }
  const issuer = options.issuer;
  if (typeof issuer !== 'string' || issuer.length === 0) {
    throw new TypeError("issuer must be your identity provider's issuer URL, such as https://example.eu.auth0.com/");
  }
  checkProviderUrl(issuer, 'issuer');
  const audience = stringList(options.audience);
  if (audience === undefined) {
    throw new TypeError(
      'audience must be the API identifier access tokens are issued for (a non-empty string or array of strings)',
    );
  }
  const authorizedParties = options.authorizedParties === undefined ? undefined : stringList(options.authorizedParties);
  if (options.authorizedParties !== undefined && authorizedParties === undefined) {
    throw new TypeError(
      'authorizedParties must be the client id (azp) of your app at the identity provider: a non-empty string or array of strings',
    );
  }
  const requiredType = options.requiredType;
  if (requiredType !== undefined && (typeof requiredType !== 'string' || !MEDIA_TYPE.test(requiredType))) {
    throw new TypeError('requiredType must be a token type such as at+jwt (RFC 9068 access tokens)');
  }
  const subjectClaim = options.subjectClaim ?? 'sub';
  if (typeof subjectClaim !== 'string' || subjectClaim.length === 0 || subjectClaim.length > 256) {
    throw new TypeError('subjectClaim must be the name of the claim holding the user id, such as sub');
  }
  if (options.subjectClaim !== undefined && options.toIdentity !== undefined) {
    throw new TypeError('give subjectClaim or toIdentity, not both: toIdentity decides where the user id comes from');
  }
  const jwksUrl = options.jwksUrl === undefined ? undefined : checkProviderUrl(String(options.jwksUrl), 'jwksUrl');
  const algorithms = options.algorithms ?? ['RS256'];
  if (!Array.isArray(algorithms) || algorithms.length === 0) {
    throw new TypeError(`algorithms must be a non-empty array of ${BEARER_JWT_ALGORITHMS.join(', ')}`);
  }
  for (const algorithm of algorithms) {
    if (!(BEARER_JWT_ALGORITHMS as readonly unknown[]).includes(algorithm)) {
      const symmetric = typeof algorithm === 'string' && /^(HS\d+|none)$/i.test(algorithm);
      throw new TypeError(
        symmetric
          ? `algorithms: ${algorithm} is never accepted: an identity provider's published keys are public, so only ` +
              `asymmetric algorithms can be verified with them (${BEARER_JWT_ALGORITHMS.join(', ')})`
          : `algorithms may only hold ${BEARER_JWT_ALGORITHMS.join(', ')}`,
      );
    }
  }
  const clockToleranceSeconds = wholeNumber(options.clockToleranceSeconds, 0, 0, 300, 'clockToleranceSeconds');
  const toIdentity = options.toIdentity;
  if (toIdentity !== undefined && typeof toIdentity !== 'function') {
    throw new TypeError('toIdentity must be a function (claims) => { id } | null');
  }
  const realm = options.realm ?? 'roomkey';
  if (typeof realm !== 'string' || realm.length === 0 || /["\\]/.test(realm) || hasControlCharacter(realm)) {
    throw new TypeError('realm must be a non-empty string without quotes, backslashes or control characters');
  }
  return {
    issuer,
    audience,
    jwksUrl,
    algorithms,
    clockToleranceSeconds,
    authorizedParties,
    requiredType,
    subjectClaim,
    toIdentity,
    realm,
    cooldownMs: wholeNumber(options.jwksCooldownSeconds, 30, 0, 86_400, 'jwksCooldownSeconds') * 1000,
    cacheMaxAgeMs: wholeNumber(options.jwksCacheMaxAgeSeconds, 600, 1, 86_400, 'jwksCacheMaxAgeSeconds') * 1000,
    staleIfErrorMs: wholeNumber(options.jwksStaleIfErrorSeconds, 3600, 0, 604_800, 'jwksStaleIfErrorSeconds') * 1000,
    timeoutMs: wholeNumber(options.timeoutMs, 5000, 1, 60_000, 'timeoutMs'),
    logger: checkLogger(options.logger),
    clock: resolveClock(options.clock),
  };
}

/** A string or a non-empty array of non-empty strings, as an array; `undefined` for anything else. */
function stringList(value: unknown): readonly string[] | undefined {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0) return undefined;
  return list.every((entry) => typeof entry === 'string' && entry.length > 0) ? (list as string[]) : undefined;
}

function wholeNumber(value: unknown, fallback: number, min: number, max: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
    throw new TypeError(`${name} must be a whole number from ${min} to ${max}`);
  }
  return value as number;
}

/** HTTPS, or plain HTTP to this machine only (a local provider in development and tests). */
function checkProviderUrl(value: string, name: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TypeError(`${name} must be an absolute https:// URL`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname))) {
    throw new TypeError(`${name} must use https:// (plain http:// only for localhost or 127.0.0.1)`);
  }
  return url;
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/** At most this many distinct refused subjects are remembered, so each is reported once. */
const REPORTED_SUBJECTS = 1000;
/** A key id longer than this is no provider's: refused before the key set is looked at. */
const MAX_KID_LENGTH = 256;
const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * The default identity: the subject claim, if it is a user id a token can carry. One that is
 * not is refused with a problem naming the rule (never the value), and reported to the
 * operator once: the provider (or a claim users may edit) is misconfigured, not the caller.
 */
function subjectIdentity(
  claims: JWTPayload,
  claim: string,
  report: (id: string, flaw: string) => void,
): Identity | null {
  const id = claims[claim];
  if (typeof id !== 'string' || id.length === 0) return null;
  const flaw =
    id.length > MAX_USER_ID_LENGTH ? `is longer than ${MAX_USER_ID_LENGTH} characters` : describeNonCanonicalId(id);
  if (flaw === undefined) return { id };
  report(id, flaw);
  throw new HttpProblem(
    'forbidden',
    `Your identity provider names you in a way roomkey cannot put in a token: the ${claim} claim ${flaw}. ` +
      'User ids are 1 to 256 characters in Unicode NFC, without control or invisible characters or a space at either end.',
  );
}

/** Reports each distinct refused subject once (by a hash: the value itself is never logged). */
function subjectReporter(config: CheckedOptions): (id: string, flaw: string) => void {
  const { logger } = config;
  if (logger === undefined) return () => undefined;
  const reported = new Set<string>();
  return (id, flaw) => {
    const subjectHash = createHash('sha256').update(id).digest('hex').slice(0, 16);
    if (reported.has(subjectHash)) return;
    // Bounded: past the limit the memory starts over, so a subject may be reported again.
    if (reported.size >= REPORTED_SUBJECTS) reported.clear();
    reported.add(subjectHash);
    logger.warn(
      { event: 'roomkey.config_warning', issuer: config.issuer, claim: config.subjectClaim, rule: flaw, subjectHash },
      `roomkey: the identity provider signed a ${config.subjectClaim} claim that ${flaw}; users named so are refused ` +
        '(403). Take the user id from a claim that holds canonical ids (subjectClaim), or fix it at the provider.',
    );
  };
}

/**
 * The checks that need no key: three base64url parts, a JSON header and payload, an accepted
 * `alg`, a `kid` of sane size. Whatever fails here is refused without asking the provider.
 */
function checkShape(token: string, algorithms: readonly string[], refuse: (description: string) => HttpProblem): void {
  const parts = token.split('.');
  const malformed = () => refuse('The access token is not a well-formed JWT');
  if (parts.length !== 3 || parts[0] === '' || parts[1] === '' || !parts.every((part) => BASE64URL.test(part))) {
    throw malformed();
  }
  let header: JWTHeaderParameters;
  try {
    header = decodeProtectedHeader(token) as JWTHeaderParameters;
    decodeJwt(token);
  } catch {
    throw malformed();
  }
  if (typeof header.alg !== 'string' || !algorithms.includes(header.alg)) {
    throw refuse("The access token's signature algorithm is not accepted");
  }
  const { kid } = header;
  if (kid !== undefined && (typeof kid !== 'string' || kid.length === 0 || kid.length > MAX_KID_LENGTH)) {
    throw refuse("The access token's key id (kid) is not one a provider publishes");
  }
}

/** jose asks for the key here: from the cached set, or a refreshed one when the `kid` is new. */
function keyResolver(keys: ProviderKeys) {
  return async (...args: Parameters<ProviderKeySet>) => {
    const current = await keys.current();
    try {
      return await current(...args);
    } catch (error) {
      if (!(error instanceof joseErrors.JWKSNoMatchingKey)) throw error;
      return (await keys.refreshed())(...args);
    }
  };
}

/** RFC 9068 §2.2 names the client `client_id`, OpenID Connect `azp`: each one present must be allowed. */
function checkAuthorizedParty(
  claims: JWTPayload,
  parties: readonly string[],
  refuse: (description: string) => HttpProblem,
): void {
  const named = [claims.azp, claims.client_id].filter((value) => value !== undefined);
  if (named.length === 0) throw refuse('The access token names no client (azp or client_id)');
  if (!named.every((value) => typeof value === 'string' && parties.includes(value))) {
    throw refuse('The access token was issued to another client (azp or client_id)');
  }
}

/**
 * The token of an `Authorization: Bearer` header: `undefined` when there is no such header (no
 * credentials at all), `null` when there is one that does not hold exactly one token.
 */
function bearerToken(request: unknown): string | null | undefined {
  const headers = (request as { headers?: unknown } | null)?.headers;
  let value: unknown;
  if (typeof (headers as { get?: unknown } | undefined)?.get === 'function') {
    value = (headers as { get(name: string): string | null }).get('authorization') ?? undefined;
  } else if (typeof headers === 'object' && headers !== null) {
    value = (headers as Record<string, unknown>).authorization;
  } else {
    throw new TypeError('bearerJwtIdentity: the request has no headers (pass the framework request to identify)');
  }
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') return null;
  const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(value);
  if (match === null) return /^Bearer(\s|$)/i.test(value) ? null : undefined;
  return match[1] as string;
}

/**
 * jose's verdicts become RFC 6750 answers with fixed descriptions: nothing from the token (its
 * header, claims or the provider's answer) reaches the client.
 */
function translate(error: unknown, refuse: (description: string) => HttpProblem): HttpProblem {
  if (error instanceof HttpProblem) return error;
  if (error instanceof joseErrors.JWTExpired) return refuse('The access token has expired');
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    switch (error.claim) {
      case 'iss':
        return refuse('The access token is from another issuer');
      case 'aud':
        return refuse('The access token is not meant for this service (audience)');
      case 'nbf':
        return refuse('The access token is not valid yet');
      case 'typ':
        return refuse('The access token is not of the required type (typ)');
      default:
        return refuse(
          `The access token's ${error.claim} claim is ${error.reason === 'missing' ? 'missing' : 'invalid'}`,
        );
    }
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed || error instanceof joseErrors.JOSENotSupported) {
    return refuse("The access token's signature algorithm is not accepted");
  }
  if (error instanceof joseErrors.JWKSNoMatchingKey || error instanceof joseErrors.JWKSMultipleMatchingKeys) {
    return refuse('The access token is signed with a key the identity provider does not publish');
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed)
    return refuse('The access token signature is invalid');
  if (error instanceof joseErrors.JWSInvalid || error instanceof joseErrors.JWTInvalid) {
    return refuse('The access token is not a well-formed JWT');
  }
  // Everything else failed while asking the provider: a timeout, a refused connection, a non-200
  // answer, a key set that is not JSON.
  return upstream(`fetching the signing keys failed: ${(error as Error)?.message ?? 'unknown error'}`, error);
}
