/**
 * Demo identities for trying the server out. Replace `identifyDemoUser` with your own session,
 * passport, JWT or API-key check; keep the shape of `authorizeDemoUser`.
 */
export const DEMO_USERS = Object.freeze({
  'demo-alice': Object.freeze({ id: 'alice', maxRole: 'moderator' }),
  'demo-bob': Object.freeze({ id: 'bob', maxRole: 'publisher' }),
  'demo-carol': Object.freeze({ id: 'carol', maxRole: 'subscriber' }),
});

const MAX_ROLE = new Map(Object.values(DEMO_USERS).map((user) => [user.id, user.maxRole]));

/** `Authorization: Bearer demo-alice` → `{ id: 'alice' }`; anything else → null (401). */
export function identifyDemoUser(authorization) {
  const match = /^Bearer (demo-[a-z]+)$/.exec(authorization ?? '');
  const user = match && Object.hasOwn(DEMO_USERS, match[1]) ? DEMO_USERS[match[1]] : undefined;
  return user ? { id: user.id } : null;
}

/**
 * The authorization hook, as a pattern to copy. It returns the most the user may have;
 * roomkey then issues the requested role when it lies within that grant (403 otherwise),
 * or the granted role itself when the request names none. Nothing is ever widened.
 */
export function authorizeDemoUser({ identity }) {
  const maxRole = MAX_ROLE.get(identity.id);
  if (maxRole === undefined) return false; // not one of ours: 403
  return {
    role: maxRole, // alice: moderator, bob: publisher, carol: subscriber
    rooms: 'any', // every valid room name; list rooms here to restrict
    sessions: 'any', // every Vonage session id; list them here to restrict
    // ttlMinutes: 15,            // cap lifetimes further than the server's jwtTtlMinutes
    // transports: ['WHIP', 'WHEP'], // restrict protocols
    // connectionData: 'seat=12',      // Vonage connection data: visible to the whole session
  };
}
