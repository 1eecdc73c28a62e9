/** What a user may do in a room, from least to most: see {@link roleIncludes}. */
export const ROLES = ['subscriber', 'publisher-only', 'publisher', 'moderator'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** The roles each role includes: moderator ⊇ publisher ⊇ subscriber, publisher ⊇ publisher-only. */
const INCLUDES: Record<Role, ReadonlySet<Role>> = {
  subscriber: new Set<Role>(['subscriber']),
  'publisher-only': new Set<Role>(['publisher-only']),
  publisher: new Set<Role>(['publisher', 'publisher-only', 'subscriber']),
  moderator: new Set<Role>(['moderator', 'publisher', 'publisher-only', 'subscriber']),
};

/**
 * True when `granted` includes `requested`. Note that `publisher-only` and `subscriber` are
 * incomparable: neither includes the other.
 */
export function roleIncludes(granted: Role, requested: Role): boolean {
  return INCLUDES[granted].has(requested);
}
