import ipaddr from 'ipaddr.js';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { rejectUnknownOptions } from './options.js';
import { HttpProblem } from './problem.js';

/**
 * What roomkey uses of a `rate-limiter-flexible` limiter (`RateLimiterMemory`,
 * `RateLimiterRedis`, `RateLimiterUnion`…): any of them fits.
 */
export interface RateLimiter {
  readonly points: number;
  consume(key: string, points?: number): Promise<unknown>;
  /** Gives points back: a failed-attempt point reserved for a request that did not fail. */
  reward(key: string, points?: number): Promise<unknown>;
}

/** An in-memory limiter's window: at most `points` in `duration` seconds. */
export interface RateLimitWindow {
  readonly points: number;
  /** Seconds. */
  readonly duration: number;
  /** Once over the limit, refuse for this many seconds. Default: until the window ends. */
  readonly blockDuration?: number;
}

export interface RateLimitOptions {
  /**
   * Tokens issued per identity (keyed by user id; a request for two tokens counts two).
   * A limiter, or a window for an in-memory one. Over it: 429 before anything is signed.
   */
  readonly issued?: RateLimiter | RateLimitWindow | undefined;
  /**
   * Failed attempts (401, 403) per client address, as the framework resolves it (Express
   * `trust proxy`, Koa `app.proxy`); IPv6 clients are counted per /64, the block one host
   * usually holds. Each request reserves a point before `identify` runs and keeps it if
   * identify finds no one (401), throws, or the grant refuses (403); it gets it back once the
   * caller is identified, or when the request is refused before identify (a 4xx for the body).
   * So concurrent guesses cannot outrun the budget, and `points` also caps how many requests
   * one address may have waiting for `identify` at once. Once spent, every request from that
   * address gets 429 until the window ends.
   */
  readonly failures?: RateLimiter | RateLimitWindow | undefined;
  /**
   * How long one limiter call (a Redis round trip) may take, in milliseconds, before the
   * request is refused with 503 and `Retry-After` (fail closed). Default 1000.
   */
  readonly timeoutMs?: number | undefined;
}

/** A failed-attempt point held by a request in flight. */
export interface Reservation {
  /** Gives the point back: the request did not end in 401 or 403. */
  release(): Promise<void>;
}

/** The checked limiters of an issuer. */
export interface Limits {
  /** Takes a failed-attempt point for the client address: 429 when none is left. */
  reserveAttempt(ip: string | undefined): Promise<Reservation | undefined>;
  /** 429 when the user has no budget left for `tokens` more tokens; spends it otherwise. */
  spendTokens(userId: string, tokens: number): Promise<void>;
}

/** Limiter keys for requests without a known address share one budget. */
const UNKNOWN_ADDRESS = 'unknown';
export const DEFAULT_LIMITER_TIMEOUT_MS = 1000;
/** What a 503 from a silent limiter store asks the client to wait, in seconds. */
const STORE_RETRY_AFTER_SECONDS = 5;

export function checkRateLimit(options: unknown): Limits | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(
      'rateLimit must be an object { issued?, failures?, timeoutMs? } of rate-limiter-flexible limiters',
    );
  }
  rejectUnknownOptions(options, ['issued', 'failures', 'timeoutMs'], 'rateLimit');
  const { issued, failures, timeoutMs = DEFAULT_LIMITER_TIMEOUT_MS } = options as RateLimitOptions;
  const issuedLimiter = limiterFrom(issued, 'rateLimit.issued', 'roomkey-issued');
  const failureLimiter = limiterFrom(failures, 'rateLimit.failures', 'roomkey-failures');
  if (issuedLimiter === undefined && failureLimiter === undefined) {
    throw new TypeError('rateLimit needs issued, failures or both');
  }
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 60_000) {
    throw new TypeError('rateLimit.timeoutMs must be a whole number of milliseconds from 1 to 60000');
  }
  const call = <T>(promise: Promise<T>, detail: string) => bounded(promise, timeoutMs, detail);

  return {
    async reserveAttempt(ip) {
      if (failureLimiter === undefined) return undefined;
      const key = addressKey(ip);
      try {
        await call(failureLimiter.consume(key), 'Too many failed attempts from this address; try again later.');
      } catch (error) {
        // A refused reservation costs nothing: give its point back, so that a burst of requests
        // refused with 429 does not keep the address over its budget after the burst.
        if (error instanceof HttpProblem && error.status === 429) failureLimiter.reward(key).catch(() => undefined);
        throw error;
      }
      return { release: () => call(failureLimiter.reward(key), '').then(() => undefined) };
    },
    async spendTokens(userId, tokens) {
      if (issuedLimiter !== undefined) {
        await call(issuedLimiter.consume(userId, tokens), 'Too many tokens requested; try again later.');
      }
    },
  };
}

/**
 * The key of a client address: an IPv4 address as it is (IPv4-mapped IPv6 included), an IPv6
 * address by its /64, since one host or home usually holds a whole /64 and could otherwise
 * take a fresh address for every guess.
 */
export function addressKey(ip: string | undefined): string {
  if (ip === undefined || !ipaddr.isValid(ip)) return ip === undefined || ip === '' ? UNKNOWN_ADDRESS : ip;
  const address = ipaddr.process(ip);
  if (address.kind() === 'ipv4') return address.toString();
  const prefix = (address as ipaddr.IPv6).parts.slice(0, 4);
  return `${prefix.map((part) => part.toString(16)).join(':')}::/64`;
}

/**
 * One limiter call, answered within `timeoutMs`: a limit reached is 429 with `Retry-After`, a
 * store that fails or stays silent is 503 with `Retry-After` (never a token without a check).
 */
async function bounded<T>(promise: Promise<T>, timeoutMs: number, limitDetail: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the rate limiter did not answer within ${timeoutMs} ms`)), timeoutMs);
  });
  // A late answer or failure after the timeout must not become an unhandled rejection.
  promise.catch(() => undefined);
  try {
    return await Promise.race([promise, timeout]);
  } catch (error) {
    if (isLimiterAnswer(error)) throw limited(limitDetail, error.msBeforeNext);
    throw new HttpProblem(
      'service_unavailable',
      'The token service cannot check its rate limits right now. Try again shortly.',
      { 'retry-after': String(STORE_RETRY_AFTER_SECONDS) },
      {
        cause: new Error(
          'the rate limiter failed or timed out (bound its store client: see the README on Redis; ' +
            'or give the limiter an insuranceLimiter to keep serving while its store is down)',
          { cause: error },
        ),
      },
    );
  } finally {
    clearTimeout(timer);
  }
}

function limiterFrom(value: unknown, name: string, keyPrefix: string): RateLimiter | undefined {
  if (value === undefined) return undefined;
  const candidate = value as Partial<Record<string, unknown>> | null;
  if (typeof candidate !== 'object' || candidate === null) {
    throw new TypeError(`${name} must be a rate-limiter-flexible limiter or { points, duration }`);
  }
  if (typeof candidate.consume === 'function') {
    if (typeof candidate.reward !== 'function') {
      throw new TypeError(`${name}: the limiter has no reward() (use a rate-limiter-flexible limiter)`);
    }
    if (!isPositiveInteger(candidate.points)) throw new TypeError(`${name}: the limiter has no points`);
    return value as RateLimiter;
  }
  rejectUnknownOptions(candidate, ['points', 'duration', 'blockDuration'], name);
  const { points, duration, blockDuration } = candidate;
  if (!isPositiveInteger(points) || !isPositiveInteger(duration)) {
    throw new TypeError(`${name}: points and duration (seconds) must be whole numbers of at least 1`);
  }
  if (blockDuration !== undefined && !isPositiveInteger(blockDuration)) {
    throw new TypeError(`${name}: blockDuration (seconds) must be a whole number of at least 1`);
  }
  return new RateLimiterMemory({ keyPrefix, points, duration, ...(blockDuration !== undefined && { blockDuration }) });
}

const isPositiveInteger = (value: unknown): value is number => Number.isInteger(value) && (value as number) >= 1;

/** A limiter rejects with its state (a `RateLimiterRes`) when over the limit, with an Error when its store fails. */
function isLimiterAnswer(value: unknown): value is { msBeforeNext: number } {
  return !(value instanceof Error) && typeof (value as { msBeforeNext?: unknown } | null)?.msBeforeNext === 'number';
}

function limited(detail: string, msBeforeNext: number): HttpProblem {
  const seconds = Math.max(1, Math.ceil(msBeforeNext / 1000));
  return new HttpProblem('rate_limited', detail, { 'retry-after': String(seconds) });
}
