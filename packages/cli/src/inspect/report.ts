/** One of a platform's validation rules, applied to the token, in words a person understands. */
export interface Check {
  readonly rule: string;
  readonly status: 'pass' | 'fail' | 'skip';
  readonly message: string;
}

/** One claim, and what it means to the platform. */
export interface Explained {
  readonly claim: string;
  readonly value: unknown;
  readonly meaning: string;
}

export type TokenKind =
  | 'red5pro'
  | 'red5cloud-conference'
  | 'vonage'
  | 'opentok-jwt'
  | 'opentok-t1'
  | 'turn'
  | 'unknown';

export interface Report {
  readonly kind: TokenKind;
  /** "Red5 Pro token", "Vonage Video client token"… */
  readonly title: string;
  readonly header: Record<string, unknown> | undefined;
  readonly claims: Record<string, unknown>;
  readonly explained: readonly Explained[];
  readonly expiresAt: string | undefined;
  readonly signatureChecked: boolean;
  readonly checks: readonly Check[];
  /** accepted: every rule passed with the signature checked; unverified: none failed, signature not checked. */
  readonly verdict: 'accepted' | 'refused' | 'unverified';
}

export function verdictOf(checks: readonly Check[], signatureChecked: boolean): Report['verdict'] {
  if (checks.some((check) => check.status === 'fail')) return 'refused';
  return signatureChecked ? 'accepted' : 'unverified';
}

export const pass = (rule: string, message: string): Check => ({ rule, status: 'pass', message });
export const fail = (rule: string, message: string): Check => ({ rule, status: 'fail', message });
export const skip = (rule: string, message: string): Check => ({ rule, status: 'skip', message });
