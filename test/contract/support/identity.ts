import { randomBytes } from 'node:crypto';
import type { Identity } from '@roomkey/core';
import type { Variant } from '../apps.js';

/** Opaque API keys, random per run, so that a leak into a log or a body is unmistakable. */
export const API_KEYS = {
  carol: `rk_test_${randomBytes(16).toString('hex')}`,
  dave: `rk_test_${randomBytes(16).toString('hex')}`,
  erin: `rk_test_${randomBytes(16).toString('hex')}`,
  /** identify throws when it sees this key. */
  boom: `rk_test_${randomBytes(16).toString('hex')}`,
} as const;

export type User = keyof typeof API_KEYS;

/** The Authorization header value for a user. */
export function bearer(user: User): string {
  return `Bearer ${API_KEYS[user]}`;
}

/** Every Authorization header value a test may send. */
export const AUTHORIZATION_VALUES: readonly string[] = Object.values(API_KEYS).map((key) => `Bearer ${key}`);

/**
 * The app's `identify`: an API key in the Authorization header, read through the framework's
 * own request API (so it fails unless it really receives Express `req` / Koa `ctx`).
 */
export function apiKeyIdentify(variant: Variant): (native: unknown) => Identity | null {
  return (native) => {
    const value = variant.header(native, 'authorization');
    if (value === bearer('boom')) throw new Error('identify: session store unreachable');
    for (const [user, key] of Object.entries(API_KEYS)) {
      if (value === `Bearer ${key}`) return { id: user, email: `${user}@example.test` };
    }
    return null;
  };
}
