/**
 * Where roomkey reads the time. `Date` itself satisfies it; tests pass a frozen clock.
 *
 * @example
 * const frozen: Clock = { now: () => Date.parse('2026-11-22T07:00:00Z') };
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = Date;

export function resolveClock(clock: Clock | undefined, option = 'clock'): Clock {
  if (clock === undefined) return systemClock;
  if (typeof clock !== 'object' && typeof clock !== 'function') {
    throw new TypeError(`${option} must be an object with a now() method returning epoch milliseconds`);
  }
  if (typeof clock.now !== 'function') {
    throw new TypeError(`${option}.now must be a function returning epoch milliseconds`);
  }
  return clock;
}

/** Whole seconds since the epoch, as JWT `iat`/`exp` want them. */
export function epochSeconds(clock: Clock): number {
  return Math.floor(clock.now() / 1000);
}
