import {
  createHmacSecretKey,
  createHs256Signer,
  createTokenIssuer,
  type Role,
  type TokenPlatform,
  targetField,
  targetListField,
} from '@roomkey/core';

// The grant field this platform adds, typed for the app's authorize hook.
declare module '@roomkey/core' {
  interface Grant {
    /** Streams of the in-house media server the caller may use: a list, or 'any'. */
    readonly streams?: readonly string[] | 'any';
  }
}

const STREAM = /^[a-z0-9][a-z0-9-]{0,63}$/;
const ACTIONS: Record<Role, string[]> = {
  subscriber: ['read'],
  'publisher-only': ['publish'],
  publisher: ['publish', 'read'],
  moderator: ['publish', 'read', 'kick'],
};

/** An in-house media server that accepts HS256 JWTs `{ sub, stream, actions, iat, exp }`. */
export function inHouseMediaPlatform(options: {
  secret: string | undefined;
  maxTtlMinutes?: number;
  now?: () => number;
}): TokenPlatform {
  // A short, guessable or missing secret stops the start with a TypeError that says what to fix.
  const sign = createHs256Signer(createHmacSecretKey(options.secret, 'MEDIA_JWT_SECRET'));
  const now = options.now ?? Date.now;
  return {
    tokenName: 'media',
    addressedBy: 'stream',
    maxTtlSeconds: (options.maxTtlMinutes ?? 60) * 60,
    requestFields: {
      stream: targetField('stream', STREAM, 'streams', 'stream must be 1-64 characters of a-z 0-9 -'),
    },
    grantFields: { streams: targetListField('streams', STREAM) },
    issue({ identity, role, target, ttlSeconds }) {
      const iat = Math.floor(now() / 1000);
      const exp = iat + ttlSeconds;
      const token = sign({ sub: identity.id, stream: target, actions: ACTIONS[role], iat, exp });
      return { token, expiresAt: new Date(exp * 1000) };
    },
  };
}

// identify, authorize, limits, audit and problems come with the pipeline, as for every platform.
export const issuer = createTokenIssuer({
  identify: (req: { user?: { id: string } }) => (req.user ? { id: req.user.id } : null),
  authorize: ({ identity }) => ({ role: 'publisher', streams: [`cam-${identity.id}`] }),
  platforms: [inHouseMediaPlatform({ secret: process.env.MEDIA_JWT_SECRET })],
});
