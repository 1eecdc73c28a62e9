import { RateLimiterMemory } from 'rate-limiter-flexible';
import { HttpProblem } from './problem.js';

/**
 * What roomkey uses of a `rate-limiter-flexible` limiter (`RateLimiterMemory`,
 * `RateLimiterRedis`, `RateLimiterUnion`…): any of them fits.
 */
export interface RateLimiter {
  readonly points: number;
  consume(key: string, points?: number): Promise<unknown>;
  get(key: string): Promise<{ readonly consumedPoints: number; readonly msBeforeNext: number } | null>;
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
  readonly issued?: RateLimiter | RateLimitWindow;
  /**
   * Failed attempts (401, 403) per client address, as the framework resolves it (Express
   * `trust proxy`, Koa `app.proxy`). Once spent, every request from that address gets 429 until
   * the window ends.
   */
  readonly failures?: RateLimiter | RateLimitWindow;
}

/** The checked limiters of an issuer. */
export interface Limits {
  /** 429 when the client address has spent its failures. */
  checkAddress(ip: string | undefined): Promise<void>;
  /** Counts a failed attempt against the client address. */
  recordFailure(ip: string | undefined): Promise<void>;
  /** 429 when the user has no budget left for `tokens` more tokens; spends it otherwise. */
  spendTokens(userId: string, tokens: number): Promise<void>;
}

/** Limiter keys for requests without a known address share one budget. */
const UNKNOWN_ADDRESS = 'unknown';

export function checkRateLimit(options: unknown): Limits | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('rateLimit must be an object { issued?, failures? } of rate-limiter-flexible limiters');
  }
  const { issued, failures } = options as RateLimitOptions;
  const issuedLimiter = limiterFrom(issued, 'rateLimit.issued', 'roomkey-issued');
  const failureLimiter = limiterFrom(failures, 'rateLimit.failures', 'roomkey-failures');
  if (issuedLimiter === undefined && failureLimiter === undefined) {
    throw new TypeError('rateLimit needs issued, failures or both');
  }
  return {
    async checkAddress(ip) {
      if (failureLimiter === undefined) return;
      const state = await store(() => failureLimiter.get(ip ?? UNKNOWN_ADDRESS));
      if (state !== null && state.consumedPoints >= failureLimiter.points) {
        throw limited('Too many failed attempts from this address.', state.msBeforeNext);
      }
    },
    async recordFailure(ip) {
      if (failureLimiter === undefined) return;
      try {
        await failureLimiter.consume(ip ?? UNKNOWN_ADDRESS);
      } catch (error) {
        // Over the limit already: the next request is refused by checkAddress.
        if (!isLimiterAnswer(error)) throw storeFailure(error);
      }
    },
    async spendTokens(userId, tokens) {
      if (issuedLimiter === undefined) return;
      try {
        await issuedLimiter.consume(userId, tokens);
      } catch (error) {
        if (!isLimiterAnswer(error)) throw storeFailure(error);
        throw limited('Too many tokens requested; try again later.', error.msBeforeNext);
      }
    },
  };
}

function limiterFrom(value: unknown, name: string, keyPrefix: string): RateLimiter | undefined {
  if (value === undefined) return undefined;
  const candidate = value as Partial<Record<string, unknown>> | null;
  if (typeof candidate !== 'object' || candidate === null) {
    throw new TypeError(`${name} must be a rate-limiter-flexible limiter or { points, duration }`);
  }
  if (typeof candidate.consume === 'function' && typeof candidate.get === 'function') {
    if (!isPositiveInteger(candidate.points)) throw new TypeError(`${name}: the limiter has no points`);
    return value as RateLimiter;
  }
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

async function store<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw storeFailure(error);
  }
}

/** The limiter's store (Redis…) failed: an operator's problem, answered 500 and logged. */
function storeFailure(error: unknown): Error {
  return new Error('the rate limiter failed (use insuranceLimiter to keep serving when its store is down)', {
    cause: error,
  });
}

function limited(detail: string, msBeforeNext: number): HttpProblem {
  const seconds = Math.max(1, Math.ceil(msBeforeNext / 1000));
  return new HttpProblem('rate_limited', detail, { 'retry-after': String(seconds) });
}
