import { createRemoteJWKSet, type JWTPayload, errors as joseErrors, jwtVerify } from 'jose';
import { type Clock, resolveClock } from './clock.js';
import type { Identity } from './grant.js';
import { hasControlCharacter } from './names.js';
import { HttpProblem } from './problem.js';

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
   * Maps the verified claims to the identity. Default: `{ id: sub, claims }`. Return `null` to
   * refuse a valid token that names no user of this app (401). The claims are added as
   * `claims` unless the result sets that key itself.
   */
  toIdentity?(claims: JWTPayload): MaybePromise<Identity | null>;
  /** The `realm` of the `WWW-Authenticate` challenge. Default `roomkey`. */
  readonly realm?: string;
  /**
   * The least time between two fetches of the key set caused by an unknown `kid`, in seconds.
   * Default 30: a flood of tokens with made-up key ids costs the provider one request.
   */
  readonly jwksCooldownSeconds?: number;
  /** How long fetched keys are used before they are fetched again, in seconds. Default 600. */
  readonly jwksCacheMaxAgeSeconds?: number;
  /** How long a fetch from the provider may take, in milliseconds. Default 5000. */
  readonly timeoutMs?: number;
  /** Where time comes from for `exp` and `nbf`. Tests freeze it. */
  readonly clock?: Clock;
}

/**
 * An `identify` callback for every adapter that verifies the caller's
 * `Authorization: Bearer` access token from the app's identity provider (Auth0, Keycloak,
 * Cognito, Entra ID…) against the provider's published keys (cached; an unknown `kid` fetches
 * them again, at most once per cooldown). Algorithms are pinned; issuer, audience and expiry
 * are checked. Options are checked now and throw a `TypeError` that says what to fix. It reads
 * the header from any request with Node-style `headers` (Express `req`, Koa `ctx`, Fastify
 * `request`) or Web `Headers` (a Fetch `Request`).
 *
 * A missing token answers 401 with `WWW-Authenticate: Bearer realm="…"`; an invalid or expired
 * one 401 with `error="invalid_token"` (RFC 6750); an unreachable provider 502. `authorize`
 * receives the claims as `identity.claims`.
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
  const keys = keySet(config);

  return async function identifyBearerJwt(request) {
    const token = bearerToken(request);
    if (token === undefined) {
      // RFC 6750 §3.1: a request without credentials gets a challenge without an error code.
      throw new HttpProblem('unauthenticated', 'Send an access token as Authorization: Bearer <token>.', {
        'www-authenticate': challenge,
      });
    }
    if (token === null) throw refuse('The Authorization header is not a single Bearer token');

    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(token, await keys(), {
        algorithms: [...config.algorithms],
        issuer: config.issuer,
        audience: [...config.audience],
        requiredClaims: ['exp'],
        clockTolerance: config.clockToleranceSeconds,
        currentDate: new Date(config.clock.now()),
      }));
    } catch (error) {
      throw translate(error, refuse);
    }
    const mapped = await config.toIdentity(claims);
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
  toIdentity: (claims: JWTPayload) => MaybePromise<Identity | null>;
  realm: string;
  cooldownMs: number;
  cacheMaxAgeMs: number;
  timeoutMs: number;
  clock: Clock;
}

const KNOWN_OPTIONS = new Set([
  'issuer',
  'audience',
  'jwksUrl',
  'algorithms',
  'clockToleranceSeconds',
  'toIdentity',
  'realm',
  'jwksCooldownSeconds',
  'jwksCacheMaxAgeSeconds',
  'timeoutMs',
  'clock',
]);

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
  const audience = typeof options.audience === 'string' ? [options.audience] : options.audience;
  if (
    !Array.isArray(audience) ||
    audience.length === 0 ||
    audience.some((value) => typeof value !== 'string' || value.length === 0)
  ) {
    throw new TypeError(
      'audience must be the API identifier access tokens are issued for (a non-empty string or array of strings)',
    );
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
  const toIdentity = options.toIdentity ?? subjectIdentity;
  if (typeof toIdentity !== 'function') throw new TypeError('toIdentity must be a function (claims) => { id } | null');
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
    toIdentity,
    realm,
    cooldownMs: wholeNumber(options.jwksCooldownSeconds, 30, 0, 86_400, 'jwksCooldownSeconds') * 1000,
    cacheMaxAgeMs: wholeNumber(options.jwksCacheMaxAgeSeconds, 600, 1, 86_400, 'jwksCacheMaxAgeSeconds') * 1000,
    timeoutMs: wholeNumber(options.timeoutMs, 5000, 1, 60_000, 'timeoutMs'),
    clock: resolveClock(options.clock),
  };
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

function subjectIdentity(claims: JWTPayload): Identity | null {
  return typeof claims.sub === 'string' && claims.sub.length > 0 ? { id: claims.sub } : null;
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

/** Resolves the provider's key set: from `jwksUrl`, or found once through discovery. */
function keySet(config: CheckedOptions): () => Promise<ReturnType<typeof createRemoteJWKSet>> {
  const create = (url: URL) =>
    createRemoteJWKSet(url, {
      cooldownDuration: config.cooldownMs,
      cacheMaxAge: config.cacheMaxAgeMs,
      timeoutDuration: config.timeoutMs,
    });
  if (config.jwksUrl !== undefined) {
    const keys = create(config.jwksUrl);
    return async () => keys;
  }
  let found: Promise<ReturnType<typeof createRemoteJWKSet>> | undefined;
  return () => {
    if (found === undefined) {
      found = discoverJwksUrl(config).then(create);
      // A failed discovery is tried again by the next request.
      found.catch(() => {
        found = undefined;
      });
    }
    return found;
  };
}

/** OpenID Connect Discovery 1.0 §4: the document's `issuer` must be the configured one exactly. */
async function discoverJwksUrl(config: CheckedOptions): Promise<URL> {
  const url = `${config.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  let document: unknown;
  try {
    const response = await fetch(url, {
      headers: { accept: 'application/json' },
      redirect: 'manual',
      signal: AbortSignal.timeout(config.timeoutMs),
    });
    if (response.status !== 200) throw new Error(`the discovery document answered ${response.status}`);
    document = await response.json();
  } catch (error) {
    throw upstream(`discovery at ${url} failed: ${(error as Error).message}`, error);
  }
  const { issuer, jwks_uri: jwksUri } = (document ?? {}) as { issuer?: unknown; jwks_uri?: unknown };
  if (issuer !== config.issuer) {
    throw upstream(`the discovery document at ${url} names another issuer than the configured one`);
  }
  if (typeof jwksUri !== 'string') throw upstream(`the discovery document at ${url} has no jwks_uri`);
  try {
    return checkProviderUrl(jwksUri, 'jwks_uri');
  } catch (error) {
    throw upstream(`the discovery document at ${url}: ${(error as Error).message}`);
  }
}

/** The provider could not be asked: 502 for the client, the cause for the operator's log. */
function upstream(reason: string, cause?: unknown): HttpProblem {
  return new HttpProblem(
    'upstream_error',
    'The identity provider could not be reached to check the access token. Try again shortly.',
    {},
    { cause: new Error(`identity provider: ${reason}`, { cause }) },
  );
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
