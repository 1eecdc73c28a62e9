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

/** The name of the cookie that carries a demo identity for browser clients. */
export const DEMO_COOKIE = 'roomkey_demo';

/**
 * `Authorization: Bearer demo-alice` → `{ id: 'alice' }`; without an Authorization header, the
 * cookie `roomkey_demo=demo-alice` does the same (Red5's WebRTC SDK sends only the page's
 * cookies). Anything else → null (401).
 */
export function identifyDemoUser(authorization, cookie) {
  const name = authorization ? /^Bearer (demo-[a-z]+)$/.exec(authorization)?.[1] : cookie;
  const user = typeof name === 'string' && Object.hasOwn(DEMO_USERS, name) ? DEMO_USERS[name] : undefined;
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
    // Every list a grant leaves out is closed: write 'any' or list what each user may have.
    rooms: 'any', // every valid room name; list rooms here to restrict
    transports: 'any', // every Red5 Pro transport; or e.g. ['WHIP', 'WHEP']
    channels: 'any', // every Red5 Cloud chat channel; list them here to restrict
    sessions: 'any', // every Vonage session id; list them here to restrict
    // LiveKit: the rooms above; data messages (chat) for everyone, and the display name the
    // LiveKit client sends to POST /livekit-token. Rights left out are not given.
    livekit: { data: true, clientMay: { name: true } },
    // TURN credentials ("turn": true) for everyone: they buy relay bandwidth, not a room.
    turn: true,
    // ttlMinutes: 15,            // cap lifetimes further than the server's jwtTtlMinutes
    // connectionData: 'seat=12',      // Vonage connection data: visible to the whole session
    // chat: { read: true, write: true }, // Red5 Cloud chat rights; default: subscribers only read
  };
}
