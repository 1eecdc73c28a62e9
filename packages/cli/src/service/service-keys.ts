import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Every service key starts with this, so that secret scanners and people recognise one. */
export const SERVICE_KEY_PREFIX = 'rk_';

/** `rk_` and 43 characters of base64url: 256 random bits. */
export const SERVICE_KEY_PATTERN = /^rk_[A-Za-z0-9_-]{43}$/;

/** A new service key: `rk_` + 32 random bytes as base64url. Shown once; only its hash is stored. */
export function createServiceKey(): string {
  return `${SERVICE_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
}

/**
 * The stored form of a key: SHA-256 of its UTF-8 text, 64 lower-case hex digits (what
 * `printf %s "$KEY" | sha256sum` prints). A key holds 256 random bits, so a fast hash is enough:
 * there is nothing to guess that a slow hash would protect.
 */
export function hashServiceKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/**
 * Finds the entry whose hash matches `presented`. Every configured hash is compared, in
 * constant time, whatever matches: the answer's timing says nothing about the keys.
 */
export function matchServiceKey<Entry extends { readonly sha256: string }>(
  presented: string,
  entries: readonly Entry[],
): Entry | undefined {
  const digest = createHash('sha256').update(presented, 'utf8').digest();
  let found: Entry | undefined;
  for (const entry of entries) {
    if (timingSafeEqual(digest, Buffer.from(entry.sha256, 'hex')) && found === undefined) found = entry;
  }
  return found;
}
