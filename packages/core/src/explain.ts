import { jwtVerify } from 'jose';
import type { TokenCheck, TokenReport } from './platform.js';

/**
 * What `roomkey inspect` needs to explain a token, shared by the platforms' `explain`: the
 * report's parts, the expiry rule every platform shares, an HS256 signature check, and times as a
 * person reads them.
 */

export type Check = TokenCheck;
export type Report = TokenReport;

/** One claim, and what it means to the platform. */
export interface Explained {
  readonly claim: string;
  readonly value: unknown;
  readonly meaning: string;
}

export function verdictOf(checks: readonly Check[], signatureChecked: boolean): Report['verdict'] {
  if (checks.some((check) => check.status === 'fail')) return 'refused';
  return signatureChecked ? 'accepted' : 'unverified';
}

export const pass = (rule: string, message: string): Check => ({ rule, status: 'pass', message });
export const fail = (rule: string, message: string): Check => ({ rule, status: 'fail', message });
export const skip = (rule: string, message: string): Check => ({ rule, status: 'skip', message });

/** "in 9 minutes", "3 hours ago": how far `at` lies from `now`. */
export function relativeTime(at: number, now: number): string {
  const seconds = Math.round((at - now) / 1000);
  const size = Math.abs(seconds);
  if (size < 2) return 'just now';
  const [amount, unit] =
    size < 90
      ? [size, 'second']
      : size < 90 * 60
        ? [Math.round(size / 60), 'minute']
        : size < 36 * 3600
          ? [Math.round(size / 3600), 'hour']
          : [Math.round(size / 86_400), 'day'];
  const text = `${amount} ${unit}${amount === 1 ? '' : 's'}`;
  return seconds >= 0 ? `in ${text}` : `${text} ago`;
}

/** A local date and time with its UTC offset, as a person reads it: 2026-11-22 08:44:30 (UTC+01:00). */
export function localTime(at: number): string {
  const date = new Date(at);
  const pad = (value: number) => String(value).padStart(2, '0');
  const offset = -date.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  const zone = `UTC${sign}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())} (${zone})`
  );
}

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

export type Meanings = Record<string, (value: unknown) => string>;

export function explainAll(claims: Record<string, unknown>, meanings: Meanings, fallback: string): Explained[] {
  return Object.entries(claims).map(([claim, value]) => ({
    claim,
    value,
    meaning: meanings[claim]?.(value) ?? fallback,
  }));
}

export async function hs256Check(token: string, key: string | undefined, source: string): Promise<Check> {
  if (key === undefined) return skip('signature', `NOT CHECKED: set ${source} to check it`);
  try {
    // The time rules are reported on their own: only the signature is judged here.
    await jwtVerify(token, Buffer.from(key, 'utf8'), { algorithms: ['HS256'], currentDate: new Date(0) });
    return pass('signature', `HMAC-SHA256 with ${source}`);
  } catch (error) {
    return (error as { code?: string }).code === 'ERR_JWT_CLAIM_VALIDATION_FAILED'
      ? pass('signature', `HMAC-SHA256 with ${source}`)
      : fail('signature', `the signature does not match ${source}: the token was made with other credentials`);
  }
}

export function report(
  kind: string,
  title: string,
  jwt: { header: Record<string, unknown> | undefined; claims: Record<string, unknown> },
  explained: Explained[],
  exp: unknown,
  checks: Check[],
): Report {
  const signatureChecked = checks.some((check) => check.rule === 'signature' && check.status !== 'skip');
  return {
    kind,
    title,
    header: jwt.header,
    claims: jwt.claims,
    explained,
    expiresAt: typeof exp === 'number' && exp < 1e11 ? new Date(exp * 1000).toISOString() : undefined,
    signatureChecked,
    checks,
    verdict: verdictOf(checks, signatureChecked),
  };
}

export const time = (label: string, now: number) => (value: unknown) => `${label}: ${describeTime(value, now)}`;

/** The report of a JWT whose claims are explained with `meanings` and whose expiry is `exp`. */
export function jwtReport(
  kind: string,
  title: string,
  jwt: { header: Record<string, unknown> | undefined; claims: Record<string, unknown> },
  meanings: Meanings,
  unknownClaim: string,
  checks: Check[],
): Report {
  return report(kind, title, jwt, explainAll(jwt.claims, meanings, unknownClaim), jwt.claims.exp, checks);
}
