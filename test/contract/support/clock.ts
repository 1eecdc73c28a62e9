import type { Clock } from '@roomkey/core';

/** The instant every contract test starts at. */
export const FROZEN_AT = '2026-11-22T07:00:00.000Z';

export interface FrozenClock extends Clock {
  /** Moves the clock to an ISO instant. */
  set(iso: string): void;
  /** Moves the clock forward by `ms` milliseconds. */
  advance(ms: number): void;
  /** The current instant as a Date (for jose's `currentDate`). */
  date(): Date;
}

/** A clock that only moves when told to. Its state lives in a closure, so the object can be frozen. */
export function frozenClock(at: string = FROZEN_AT): FrozenClock {
  let now = Date.parse(at);
  return {
    now: () => now,
    set(iso) {
      now = Date.parse(iso);
    },
    advance(ms) {
      now += ms;
    },
    date: () => new Date(now),
  };
}

/** Whole seconds since the epoch, as JWT `iat`/`exp` are written. */
export function epochSeconds(clock: Clock): number {
  return Math.floor(clock.now() / 1000);
}
