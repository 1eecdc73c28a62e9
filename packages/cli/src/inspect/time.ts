import { localTime, relativeTime } from '../output.js';
import { type Check, fail, pass } from './report.js';

/** The expiry rule every platform shares: `exp` in whole seconds, in the future. */
export function expiryCheck(exp: unknown, now: number, rule = 'expiry'): Check {
  if (exp === undefined) return fail(rule, 'the token has no exp claim: it must say when it expires');
  if (typeof exp !== 'number' || !Number.isFinite(exp)) return fail(rule, 'exp must be a number of seconds');
  if (exp > 1e11) {
    return fail(rule, `exp is ${exp}, which looks like milliseconds: JWT times are whole seconds since 1970`);
  }
  const at = exp * 1000;
  if (at <= now) {
    return fail(rule, `the token expired ${relativeTime(at, now)}, at ${localTime(at)}: ask for a new one`);
  }
  return pass(rule, `expires ${relativeTime(at, now)}, at ${localTime(at)}`);
}

export function describeTime(seconds: unknown, now: number): string {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds)) return 'not a number of seconds';
  return `${localTime(seconds * 1000)}, ${relativeTime(seconds * 1000, now)}`;
}
