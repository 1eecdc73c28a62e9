import { RoomkeyError } from './errors.js';

/**
 * Room and channel names: ASCII letters, digits, `.`, `_` and `-`, starting with a letter or
 * digit, at most 128 characters. Platforms join lists with commas and match names exactly,
 * so a name that could carry a separator is refused, never escaped.
 */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

// biome-ignore lint/suspicious/noControlCharactersInRegex: detecting control characters is the point
export const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;

/** ASCII letters only: what a transport name may be, checked before it is upper-cased. */
export const ASCII_LETTERS = /^[A-Za-z]+$/;

/**
 * Upper-cases ASCII letters only. `String#toUpperCase` maps some other letters onto ASCII ones
 * (`ı` U+0131 → `I`, `ſ` U+017F → `S`), which would let a look-alike such as `whıp` pass for
 * `WHIP`; here anything that is not plain ASCII letters comes back as it was, and matches
 * no transport.
 */
export function upperCaseAscii(value: string): string {
  return ASCII_LETTERS.test(value) ? value.toUpperCase() : value;
}

/** True when `value` holds a C0 or C1 control character (never allowed in a claim or header). */
export function hasControlCharacter(value: string): boolean {
  return CONTROL_CHARACTER.test(value);
}

// Characters that make two different ids look the same: invisible format characters (zero-width
// spaces and joiners, the byte order mark, bidirectional controls, the soft hyphen), line and
// paragraph separators, and every space but U+0020.
const INVISIBLE = /[\p{Cf}\p{Zl}\p{Zp}]/u;
const OTHER_SPACE = /[^\P{Zs} ]/u;
const PLAIN_ASCII_ID = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/;
/** With the `u` flag a surrogate pair is one code point: only a lone surrogate is `Cs`. */
const UNPAIRED_SURROGATE = /\p{Cs}/u;

/**
 * Why a user id is not in canonical form, or `undefined` when it is. A user id becomes a
 * token's subject and a chat identity, so two ids that a person (or a trimming library) would
 * take for one must never both exist: ids with control or invisible characters, spaces other
 * than U+0020, a space at either end, unpaired surrogates or text not in Unicode NFC are
 * refused, never repaired. The description never repeats the id.
 */
export function describeNonCanonicalId(id: string): string | undefined {
  // The common case in one test: printable ASCII with no space at either end is canonical.
  if (PLAIN_ASCII_ID.test(id)) return undefined;
  if (hasControlCharacter(id)) return 'contains a control character';
  if (UNPAIRED_SURROGATE.test(id)) return 'contains an unpaired surrogate (not well-formed Unicode)';
  if (INVISIBLE.test(id)) {
    return 'contains an invisible character (such as a zero-width space, a byte order mark or a line separator)';
  }
  if (OTHER_SPACE.test(id)) return 'contains a space other than U+0020 (such as a no-break space)';
  if (id.startsWith(' ') || id.endsWith(' ')) return 'starts or ends with a space';
  if (id.normalize('NFC') !== id) return 'is not in Unicode normalization form C (NFC)';
  return undefined;
}

export function isValidName(value: unknown): value is string {
  return typeof value === 'string' && NAME_PATTERN.test(value);
}

/** Describes a bad name without echoing it: the value may be hostile or personal. */
export function describeBadName(value: unknown): string {
  if (typeof value !== 'string') return `a ${value === null ? 'null' : typeof value} instead of a string`;
  if (value.length === 0) return 'an empty name';
  if (value.length > 128) return `a name of ${value.length} characters (at most 128)`;
  if (value.includes(',')) return 'a name containing a comma';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: detecting control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(value)) return 'a name containing a control character';
  if (/[^\u0020-\u007e]/.test(value)) return 'a name containing a non-ASCII character';
  if (/\s/.test(value)) return 'a name containing white space';
  return 'a name with a character outside A-Z a-z 0-9 . _ - (or not starting with a letter or digit)';
}

/**
 * Validates a list of names for a comma-joined claim and joins it with commas. Refuses a bad
 * name; duplicates are dropped (for clarity of the resulting token), order kept. An empty list
 * gives an empty string.
 */
export function joinNameList(values: unknown, claim: string): string {
  if (!Array.isArray(values)) {
    throw new RoomkeyError('invalid_claim', `${claim} must be an array of names`);
  }
  // Speed: this runs for every token, usually for one or two names, so a plain loop builds the
  // string rather than forEach into a Set, spread and join. Short lists look back for an earlier
  // copy of a name; longer ones keep a Set.
  const seen = values.length > 8 ? new Set<string>() : undefined;
  let joined = '';
  for (let index = 0; index < values.length; index++) {
    const value: unknown = values[index];
    if (value === undefined && !(index in values)) continue; // a hole: skipped, as forEach does
    if (!isValidName(value)) {
      throw new RoomkeyError('invalid_claim', `${claim}[${index}] is ${describeBadName(value)}`);
    }
    const duplicate = seen === undefined ? values.indexOf(value) < index : seen.has(value);
    if (!duplicate) {
      seen?.add(value);
      joined = joined === '' ? value : `${joined},${value}`;
    }
  }
  return joined;
}
