import { RoomkeyError } from './errors.js';

/** The shortest lifetime a signer issues: Red5 Pro documents a minute as the least practical. */
export const MIN_TTL_SECONDS = 60;

/**
 * A signer's lifetime for a token: `maxTtlSeconds` when none is asked, else the one asked
 * (a whole number of seconds, at least {@link MIN_TTL_SECONDS}) capped at `maxTtlSeconds`.
 */
export function requestedLifetime(requested: number | undefined, maxTtlSeconds: number): number {
  if (requested === undefined) return maxTtlSeconds;
  if (!Number.isInteger(requested) || requested < MIN_TTL_SECONDS) {
    throw new RoomkeyError(
      'invalid_claim',
      `ttlSeconds must be a whole number of seconds, at least ${MIN_TTL_SECONDS}`,
    );
  }
  return Math.min(requested, maxTtlSeconds);
}
