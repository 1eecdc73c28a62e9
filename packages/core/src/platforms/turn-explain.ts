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
