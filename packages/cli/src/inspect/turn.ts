import type { TurnCredentialPair } from '@roomkey/core';

/** `<username>:<credential>`, the credential being base64 of an HMAC-SHA1 (28 characters). */
const COLON_PAIR = /^(\d+:.+):([A-Za-z0-9+/]{27}=)$/s;

/**
 * A TURN username and credential in one of the shapes people have at hand, or `undefined` when
 * the input is none of them (then it is inspected as a token):
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
