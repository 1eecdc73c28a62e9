/**
 * A cap's patterns, compiled once at start-up: `any`, or names where `*` stands for any run of
 * characters (possibly empty). Matching never builds a RegExp and never backtracks.
 */
export interface TargetMatcher {
  /** True when `value` matches one of the patterns (always, for `any`). */
  test(value: string): boolean;
}

/** A matcher for `any` or a list of patterns such as `class-*`. */
export function compileTargets(patterns: 'any' | readonly string[]): TargetMatcher {
  if (patterns === 'any') return { test: () => true };
  const globs = patterns.map(compileGlob);
  return { test: (value) => globs.some((glob) => glob(value)) };
}

/**
 * One `*` pattern as a function. The pattern splits at `*` into literal pieces: the first must
 * start the value, the last must end it, and each piece between is found at its leftmost place
 * after the previous one. Taking the leftmost place is always right for `*` (a later place
 * leaves less room for the pieces after it), so no choice is ever revisited: the value is read
 * left to right once per piece, O(value × pattern) at worst, with both bounded by the name
 * rules (128 and 256 characters). A RegExp such as `^.*-.*-.*$` backtracks instead, and takes
 * seconds on a hostile value.
 */
export function compileGlob(pattern: string): (value: string) => boolean {
  const pieces = pattern.split('*');
  if (pieces.length === 1) return (value) => value === pattern;
  const first = pieces[0] as string;
  const last = pieces[pieces.length - 1] as string;
  const middle = pieces.slice(1, -1).filter((piece) => piece.length > 0);
  const least = first.length + last.length + middle.reduce((sum, piece) => sum + piece.length, 0);
  return (value) => {
    if (value.length < least || !value.startsWith(first) || !value.endsWith(last)) return false;
    let from = first.length;
    const end = value.length - last.length;
    for (const piece of middle) {
      const at = value.indexOf(piece, from);
      if (at === -1 || at + piece.length > end) return false;
      from = at + piece.length;
    }
    return true;
  };
}
