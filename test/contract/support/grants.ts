import type { Grant } from '@roomkey/core';

/**
 * Every target kind and transport open, written out: a grant's absent list grants nothing, so
 * tests that are about something else (roles, lifetimes, chat rights) spread this first and
 * override what they test.
 */
export const OPEN = {
  rooms: 'any',
  channels: 'any',
  sessions: 'any',
  transports: 'any',
} as const satisfies Omit<Grant, 'role'>;
