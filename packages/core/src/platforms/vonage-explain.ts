import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { jwtVerify } from 'jose';
import { type Check, expiryCheck, fail, jwtReport, type Meanings, pass, type Report, skip, time } from '../explain.js';
import type { DecodedToken } from '../platform.js';

const VONAGE_ROLES: Record<string, string> = {
  subscriber: 'may subscribe to streams, not publish',
  publisher: 'may publish and subscribe',
  publisheronly: 'may publish, not subscribe, and not send signals',
  moderator: 'may publish, subscribe, and force others to disconnect or mute',
};

export function vonageMeanings(now: number): Meanings {
  return {
    session_id: () => 'the session the token opens',
    role: (value) => VONAGE_ROLES[String(value)] ?? 'not a Vonage role',
    scope: () => 'always session.connect',
    connection_data: () => 'connection data: visible to everyone in the session',
    initial_layout_class_list: () => 'layout classes for archives and broadcasts',
    expire_time: time('expiry', now),
    create_time: time('created', now),
    exp: time('expiry', now),
    iat: time('issued', now),
    jti: () => 'a unique id for this token',
    nonce: () => 'a random number',
  };
}

/** A Vonage Video client token (RS256, application key). */
export async function explainVonageToken(
  jwt: Required<DecodedToken>,
  env: Readonly<Record<string, string | undefined>>,
  now: number,
): Promise<Report> {
  const { claims } = jwt;
  const checks: Check[] = [
    jwt.header.alg === 'RS256'
      ? pass('algorithm', 'RS256, signed with the application private key')
      : fail('algorithm', `signed with ${String(jwt.header.alg)}; Vonage Video client tokens are RS256`),
    await vonageSignature(jwt.token, env.VONAGE_PRIVATE_KEY),
    expiryCheck(claims.exp, now),
    typeof claims.role === 'string' && claims.role in VONAGE_ROLES
      ? pass('role', `${String(claims.role)} is a Vonage role`)
      : fail('role', `role is "${String(claims.role)}"; Vonage knows ${Object.keys(VONAGE_ROLES).join(', ')}`),
  ];
  if (env.VONAGE_APPLICATION_ID) {
    checks.push(
      claims.application_id === env.VONAGE_APPLICATION_ID
        ? pass('application', 'application_id is VONAGE_APPLICATION_ID')
        : fail('application', 'application_id is not VONAGE_APPLICATION_ID: the token is for another application'),
    );
  }
  const meanings: Meanings = {
    ...vonageMeanings(now),
    application_id: () => 'the Vonage application that signed it',
    sub: () => 'always "video"',
    acl: () => 'the API paths the token may use',
  };
  return jwtReport('vonage', 'Vonage Video client token', jwt, meanings, 'not read by Vonage', checks);
}

async function vonageSignature(token: string, privateKey: string | undefined): Promise<Check> {
  if (!privateKey) return skip('signature', 'NOT CHECKED: set VONAGE_PRIVATE_KEY (PEM text or a file) to check it');
  try {
    const pem = privateKey.includes('-----BEGIN') ? privateKey.replace(/\\n/g, '\n') : readFileSync(privateKey, 'utf8');
    await jwtVerify(token, createPublicKey(pem), { algorithms: ['RS256'], currentDate: new Date(0) }).catch((error) => {
      if ((error as { code?: string }).code !== 'ERR_JWT_CLAIM_VALIDATION_FAILED') throw error;
    });
    return pass('signature', 'RS256 with the public half of VONAGE_PRIVATE_KEY');
  } catch {
    return fail(
      'signature',
      "the signature does not match VONAGE_PRIVATE_KEY's public key: another application signed it",
    );
  }
}
