import {
  type Clock,
  type Red5ProRequirement,
  type Role,
  type VerifiedRed5ProToken,
  verifyRed5ProToken,
} from '@roomkey/core';
import { decodeJwt, type JWTPayload, jwtVerify } from 'jose';

/** The HS256 secret every contract app signs with (distinctive, so a leak is easy to find). */
export const SECRET = 'contract-secret-Q7v2Lr9XkP4mW8sZ1dT6yB3nH5jF0cG';

/** The signer's default cap: `maxTtlMinutes` 60 × 60 − 30 s of clock-skew margin. */
export const DEFAULT_CAP_SECONDS = 60 * 60 - 30;

/** DESIGN.md, role mapping: the Red5 Pro `roles` claim for each roomkey role. */
export const RED5PRO_ROLES_CLAIM: Readonly<Record<Role, string>> = {
  subscriber: 'red5-subscriber',
  'publisher-only': 'red5-publisher',
  publisher: 'red5-publisher,red5-subscriber',
  moderator: 'red5-publisher,red5-subscriber',
};

/** Which Red5 Pro actions each role's token must allow (and, by omission, refuse). */
export const RED5PRO_ACTIONS: Readonly<Record<Role, readonly ('publisher' | 'subscriber')[]>> = {
  subscriber: ['subscriber'],
  'publisher-only': ['publisher'],
  publisher: ['publisher', 'subscriber'],
  moderator: ['publisher', 'subscriber'],
};

/** Something shaped like a compact JWS anywhere in a text. */
export const JWT_LIKE = /eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/;

/** Verifies with jose, code nobody here wrote: HS256 only, key = UTF-8 bytes of the secret. */
export async function verifyWithJose(token: string, clock: Clock, secret: string = SECRET): Promise<JWTPayload> {
  const { payload, protectedHeader } = await jwtVerify(token, new TextEncoder().encode(secret), {
    algorithms: ['HS256'],
    currentDate: new Date(clock.now()),
  });
  if (protectedHeader.alg !== 'HS256') throw new Error(`unexpected alg ${protectedHeader.alg}`);
  return payload;
}

/** Verifies with roomkey's own Red5 Pro verifier, the way the media server checks a connection. */
export function verifyWithRoomkey(
  token: string,
  clock: Clock,
  require: Red5ProRequirement,
  ttlMinutes?: number,
): Promise<VerifiedRed5ProToken> {
  return verifyRed5ProToken(token, {
    secret: SECRET,
    clock,
    require,
    ...(ttlMinutes !== undefined && { ttlMinutes }),
  });
}

/** Claims without verification, for normalising responses (the `jti` is random per token). */
export function claimsForComparison(token: string): JWTPayload {
  const { jti, ...rest } = decodeJwt(token);
  return jti === undefined ? rest : { ...rest, jti: '<uuid>' };
}

/** The three segments of a token: none of them may appear anywhere it should not. */
export function tokenParts(token: string): string[] {
  return [token, ...token.split('.').slice(1)];
}
