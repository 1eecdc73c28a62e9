import { createLocalJWKSet, type JSONWebKeySet } from 'jose';
import type { Clock } from './clock.js';
import { HttpProblem } from './problem.js';

/** The largest discovery document or key set read from a provider; real ones are a few KiB. */
export const MAX_PROVIDER_DOCUMENT_BYTES = 256 * 1024;

export type ProviderKeySet = ReturnType<typeof createLocalJWKSet>;

export interface ProviderKeysOptions {
  readonly issuer: string;
  /** The key set's URL, or `undefined` to find it through discovery. */
  readonly jwksUrl: URL | undefined;
  /** The least time between two fetches, whatever caused them (an unknown `kid`, a failure). */
  readonly cooldownMs: number;
  readonly cacheMaxAgeMs: number;
  /** How long past `cacheMaxAgeMs` fetched keys are still used while refreshing them fails. */
  readonly staleIfErrorMs: number;
  readonly timeoutMs: number;
  readonly clock: Clock;
  /** Checks a URL the discovery document names (HTTPS, or HTTP to this machine). */
  readonly checkUrl: (value: string, name: string) => URL;
}

export interface ProviderKeys {
  /** The key set to verify with: cached, fetched when too old, stale while refreshing fails. */
  current(): Promise<ProviderKeySet>;
  /**
   * A newer key set, for a token whose `kid` the current one lacks: fetched again unless a fetch
   * happened within the cooldown (then the current set, or the failure that is cooling down).
   */
  refreshed(): Promise<ProviderKeySet>;
}

interface Fetched {
  readonly keys: ProviderKeySet;
  readonly at: number;
}

/**
 * The provider's signing keys, fetched by us (not by jose) so that every request the provider
 * sees is accounted for: at most one fetch in flight, shared by every request waiting for it;
 * at most one fetch per cooldown, a failure included (its 502 is answered again, with
 * `Retry-After`, until the cooldown ends); keys kept and used for up to `staleIfErrorMs` past
 * their age when a refresh fails; each document bounded in size and time.
 */
export function providerKeys(options: ProviderKeysOptions): ProviderKeys {
  let jwksUrl = options.jwksUrl;
  let fetched: Fetched | undefined;
  let lastAttempt: number | undefined;
  let failure: HttpProblem | undefined;
  let inFlight: Promise<ProviderKeySet> | undefined;

  const now = () => options.clock.now();
  const coolingDown = () => lastAttempt !== undefined && now() - lastAttempt < options.cooldownMs;
  const usable = (entry: Fetched | undefined): entry is Fetched =>
    entry !== undefined && now() - entry.at < options.cacheMaxAgeMs + options.staleIfErrorMs;

  /** The failure that is cooling down, with how long until the next fetch may be tried. */
  const cachedFailure = (problem: HttpProblem): HttpProblem => {
    if (options.cooldownMs === 0) return problem;
    const waitMs = options.cooldownMs - (now() - (lastAttempt ?? now()));
    const retryAfter = String(Math.max(1, Math.ceil(waitMs / 1000)));
    return new HttpProblem(problem.code, problem.message, { 'retry-after': retryAfter }, { cause: problem.cause });
  };

  const load = async (): Promise<ProviderKeySet> => {
    lastAttempt = now();
    try {
      jwksUrl ??= await discoverJwksUrl(options);
      const keys = await readKeySet(jwksUrl, options.timeoutMs);
      fetched = { keys, at: now() };
      failure = undefined;
      return keys;
    } catch (error) {
      failure = error instanceof HttpProblem ? error : upstream((error as Error)?.message ?? 'unknown error', error);
      // Stale-if-error: keys within their bound are better than refusing every valid token.
      if (usable(fetched)) return fetched.keys;
      throw cachedFailure(failure);
    }
  };

  const fetchOnce = (): Promise<ProviderKeySet> => {
    inFlight ??= load().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };

  return {
    async current() {
      if (inFlight !== undefined) return inFlight;
      if (fetched !== undefined && now() - fetched.at < options.cacheMaxAgeMs) return fetched.keys;
      if (failure !== undefined && coolingDown()) {
        if (usable(fetched)) return fetched.keys;
        throw cachedFailure(failure);
      }
      return fetchOnce();
    },
    async refreshed() {
      if (inFlight === undefined && coolingDown()) {
        // An unknown kid while the provider fails may be a key published since: say so (502).
        if (failure !== undefined) throw cachedFailure(failure);
        if (fetched !== undefined) return fetched.keys;
      }
      // A fetch in flight is shared; if it fails, the stale keys it hands back lack the kid, so
      // the answer is the failure.
      const before = fetched;
      const keys = await fetchOnce();
      if (failure !== undefined && fetched === before) throw cachedFailure(failure);
      return keys;
    },
  };
}

/** OpenID Connect Discovery 1.0 §4: the document's `issuer` must be the configured one exactly. */
async function discoverJwksUrl(options: ProviderKeysOptions): Promise<URL> {
  const url = `${options.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  const document = await readJson(url, options.timeoutMs, 'discovery');
  const { issuer, jwks_uri: jwksUri } = (document ?? {}) as { issuer?: unknown; jwks_uri?: unknown };
  if (issuer !== options.issuer) {
    throw upstream(`the discovery document at ${url} names another issuer than the configured one`);
  }
  if (typeof jwksUri !== 'string') throw upstream(`the discovery document at ${url} has no jwks_uri`);
  try {
    return options.checkUrl(jwksUri, 'jwks_uri');
  } catch (error) {
    throw upstream(`the discovery document at ${url}: ${(error as Error).message}`);
  }
}

async function readKeySet(url: URL, timeoutMs: number): Promise<ProviderKeySet> {
  const document = await readJson(url.href, timeoutMs, 'fetching the signing keys');
  try {
    return createLocalJWKSet(document as JSONWebKeySet);
  } catch (error) {
    throw upstream(`the key set at ${url.href} is not a JWKS: ${(error as Error).message}`, error);
  }
}

/**
 * GETs a JSON document within `timeoutMs` (the body included) and {@link MAX_PROVIDER_DOCUMENT_BYTES};
 * a redirect, another status, a larger body or invalid JSON is a failure of the provider.
 */
async function readJson(url: string, timeoutMs: number, what: string): Promise<unknown> {
  try {
    const response = await fetch(url, {
      headers: { accept: 'application/json' },
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => undefined);
      throw new Error(`${url} answered ${response.status}`);
    }
    const text = await readBounded(response);
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw upstream(`${what} failed: ${(error as Error).message}`, error);
  }
}

async function readBounded(response: Response): Promise<string> {
  const tooLarge = () => new Error(`the document is larger than ${MAX_PROVIDER_DOCUMENT_BYTES} bytes`);
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > MAX_PROVIDER_DOCUMENT_BYTES) {
    await response.body?.cancel().catch(() => undefined);
    throw tooLarge();
  }
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_PROVIDER_DOCUMENT_BYTES) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  return new TextDecoder().decode(Buffer.concat(chunks, size));
}

/** The provider could not be asked: 502 for the client, the cause for the operator's log. */
export function upstream(reason: string, cause?: unknown): HttpProblem {
  return new HttpProblem(
    'upstream_error',
    'The identity provider could not be reached to check the access token. Try again shortly.',
    {},
    { cause: new Error(`identity provider: ${reason}`, { cause }) },
  );
}
