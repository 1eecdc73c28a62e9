import type { Identity } from './grant.js';
import { describeNonCanonicalId } from './names.js';

/** What a value is, in words that never repeat it: `a string`, `an array`, `true`… */
export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'boolean') return String(value);
  const type = typeof value;
  return `${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`;
}

/** The longest user id a token may carry: identify's answers, service users and provider subjects alike. */
export const MAX_USER_ID_LENGTH = 256;

/**
 * What identify returned, checked: `null` for no one, else an object whose `id` is a string of
 * 1 to 256 characters in canonical form (see {@link describeNonCanonicalId}). Anything else is
 * the app's mistake, thrown as an Error whose message is fixed text or a kind ("a string"):
 * an app that returns a header by mistake must not find the header's value in its log.
 */
export function checkIdentity(identity: unknown): Identity | null {
  if (identity === null || identity === undefined) return null;
  if (typeof identity !== 'object' || Array.isArray(identity)) {
    throw new Error(`identify must return an object { id } or null, not ${kindOf(identity)}`);
  }
  const { id } = identity as { id?: unknown };
  if (id === undefined) {
    throw new Error(
      'identify returned an invalid identity: identity.id is missing: identify must return an object { id } or null',
    );
  }
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_USER_ID_LENGTH) {
    throw new Error('identify returned an invalid identity: identity.id must be a string of 1 to 256 characters.');
  }
  const flaw = describeNonCanonicalId(id);
  if (flaw !== undefined) {
    throw new Error(`identify returned an invalid identity: identity.id ${flaw}: roomkey uses ids exactly as given.`);
  }
  return identity as Identity;
}
