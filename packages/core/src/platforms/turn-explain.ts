import { type Check, describeTime, expiryCheck, fail, pass, type Report, skip, verdictOf } from '../explain.js';
import { parseTurnUsername, type TurnCredentialPair, verifyTurnCredential } from './turn-verify.js';

/**
 * What coturn (`use-auth-secret`) would say to a TURN username and credential: the format, the
 * signature when the secret is at hand, and the expiry. The credential is never shown.
 */
export function explainTurnCredential(
  pair: TurnCredentialPair,
  secret: string | undefined,
  secretSource: string,
  now: number,
): Report {
  const stated = parseTurnUsername(pair.username);
  const checks: Check[] = [];
  let signatureChecked = false;
  if (stated === undefined) {
    checks.push(
      fail('format', 'the username is not <expiry in unix seconds>:<user id>, as the TURN REST API writes it'),
    );
  } else if (secret === undefined) {
    checks.push(
      pass('format', 'username <expiry>:<user id>'),
      skip('signature', `NOT CHECKED: set ${secretSource} to check it`),
    );
  } else {
    let verdict: ReturnType<typeof verifyTurnCredential>;
    try {
      verdict = verifyTurnCredential(pair, { secret, clock: { now: () => now } });
    } catch (error) {
      verdict = { status: 'malformed', message: `${secretSource}: ${(error as Error).message}` };
    }
    signatureChecked = verdict.status !== 'malformed';
    checks.push(
      verdict.status === 'malformed'
        ? fail('format', verdict.message)
        : pass('format', 'username <expiry>:<user id>, credential base64 of an HMAC-SHA1'),
    );
    if (signatureChecked) {
      checks.push(
        verdict.status === 'signature_invalid'
          ? fail('signature', `the credential does not match ${secretSource}: made with another secret, or altered`)
          : pass('signature', `HMAC-SHA1 with ${secretSource}`),
      );
    }
  }
  const expiry = stated === undefined ? undefined : stated.expiresAt.getTime() / 1000;
  if (stated !== undefined) checks.push(expiryCheck(expiry, now));
  return {
    kind: 'turn',
    title: 'TURN credentials (TURN REST API, as coturn checks them with use-auth-secret)',
    header: undefined,
    claims: { username: pair.username, credential: '(hidden)' },
    explained:
      stated === undefined
        ? []
        : [
            { claim: 'expiry', value: expiry, meaning: `expiry: ${describeTime(expiry, now)}` },
            { claim: 'user', value: stated.userId, meaning: 'the user the credentials were issued to' },
            {
              claim: 'credential',
              value: '(hidden)',
              meaning: 'base64(HMAC-SHA1(static-auth-secret, username)): the TURN password',
            },
          ],
    expiresAt: stated?.expiresAt.toISOString(),
    signatureChecked,
    checks,
    verdict: verdictOf(checks, signatureChecked),
  };
}

/** `<username>:<credential>`, the credential being base64 of an HMAC-SHA1 (28 characters). */
const COLON_PAIR = /^(\d+:.+):([A-Za-z0-9+/]{27}=)$/s;

/**
 * A TURN username and credential in one of the shapes people have at hand, or `undefined` when
 * the input is none of them (then it is some other platform's token):
 * - JSON: what `roomkey sign turn` prints (`{ iceServers, expiresAt }`), the `turn` entry of a
 *   `/tokens` answer, an `iceServers` array, or one entry `{ urls, username, credential }`;
 * - `<username>:<credential>`, as coturn's `user=` lines write a name and a password.
 */
export function parseTurnInput(text: string): TurnCredentialPair | undefined {
  const colon = COLON_PAIR.exec(text);
  if (colon !== null) return { username: colon[1] as string, credential: colon[2] as string };
  if (!/^[[{]/.test(text)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  return findPair(value, 0);
}

function findPair(value: unknown, depth: number): TurnCredentialPair | undefined {
  if (typeof value !== 'object' || value === null || depth > 5) return undefined;
  if (Array.isArray(value)) {
    for (const entry of value) {
      const pair = findPair(entry, depth + 1);
      if (pair !== undefined) return pair;
    }
    return undefined;
  }
  const { username, credential, iceServers, tokens, turn } = value as Record<string, unknown>;
  if (typeof username === 'string' && typeof credential === 'string') return { username, credential };
  return findPair(iceServers ?? turn ?? tokens, depth + 1);
}
