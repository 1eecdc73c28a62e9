import type * as v from 'valibot';

const SAFE_KEY = /^[A-Za-z][A-Za-z0-9_]{0,31}$/;

/**
 * Turns schema issues into a sentence that never repeats a submitted value: each issue's own
 * (fixed) message, or the name of an unknown field when it is a plain identifier.
 */
export function describeIssues(issues: readonly v.BaseIssue<unknown>[], lead = 'Invalid token request: '): string {
  const parts = issues.slice(0, 3).map((issue) => {
    const key = issue.path?.[0]?.key;
    if (issue.type === 'strict_object' && issue.path?.length === 1) {
      return typeof key === 'string' && SAFE_KEY.test(key) ? `unknown field "${key}"` : 'an unknown field';
    }
    return issue.message;
  });
  return `${lead}${parts.join('; ')}.`;
}
