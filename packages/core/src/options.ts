import { closestMatch } from 'leven';

/**
 * Refuses option names the function does not know, at start-up: a misspelt `authorise` would
 * otherwise be ignored and leave the default in place without a word. The `TypeError` names
 * the closest known option when one is near.
 */
export function rejectUnknownOptions(options: object, known: readonly string[], where: string): void {
  const unknown = describeUnknownKey(options, known, 'option');
  if (unknown !== undefined) throw new TypeError(`${where}: ${unknown}; known options: ${known.join(', ')}`);
}

/**
 * `unknown option "authorise" (did you mean "authorize"?)` for the first key of `value` that is
 * not `known`, or `undefined` when there is none. A key that is not a plain identifier is not
 * repeated: it may be anything a caller sent.
 */
export function describeUnknownKey(value: object, known: readonly string[], what: string): string | undefined {
  const name = Object.keys(value).find((key) => !known.includes(key));
  if (name === undefined) return undefined;
  if (!/^[\w$-]{1,64}$/.test(name)) return `an unknown ${what} with an unusual name`;
  // Compared without case: `maxttlminutes` is one letter-case away from `maxTtlMinutes`.
  const lower = known.map((option) => option.toLowerCase());
  const match = closestMatch(name.toLowerCase(), lower, { maxDistance: Math.max(2, Math.floor(name.length / 3)) });
  const near = match === undefined ? undefined : known[lower.indexOf(match)];
  return `unknown ${what} "${name}"${near === undefined ? '' : ` (did you mean "${near}"?)`}`;
}
