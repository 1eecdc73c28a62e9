import type { Role } from './roles.js';

/** Who is asking, as the app's `identify` callback says. Only `id` is ever used by roomkey. */
export interface Identity {
  /** Stable user id: becomes the token's subject (`sub`, `uid`). */
  readonly id: string;
  readonly [key: string]: unknown;
}

/**
 * What the app's `authorize` hook allows a caller. Anything the request asks for must lie
 * within it; nothing is widened.
 */
export interface Grant {
  /** The highest role the caller may have; also the role issued when the request names none. */
  readonly role: Role;
  /**
   * Rooms the caller may enter: a list, or `'any'` for every valid room name. Absent: only the
   * room the request names (least privilege).
   */
  readonly rooms?: readonly string[] | 'any';
  /** Chat channels the caller may use; same rules as `rooms`. */
  readonly channels?: readonly string[] | 'any';
  /** Vonage session ids the caller may join; same rules as `rooms`. */
  readonly sessions?: readonly string[] | 'any';
  /** Transports the caller may use (Red5 Pro `red5-transport`). Absent: any transport. */
  readonly transports?: readonly string[];
  /** Upper bound for the token lifetime, in whole minutes. */
  readonly ttlMinutes?: number;
  /**
   * Display name written into the Red5 Pro `name` claim. Token contents are readable by
   * anyone holding the token: roomkey never copies identity fields into tokens by itself.
   */
  readonly name?: string;
  /**
   * Vonage connection data (at most 1000 characters), visible to everyone in the session.
   * Only the grant sets it: the client's request never does.
   */
  readonly connectionData?: string;
  /**
   * Red5 Cloud chat rights on the granted channels. Absent: the role decides (subscribers
   * read; publishers and moderators read and write). Present: exactly the rights it names.
   */
  readonly chat?: ChatRights;
}

/** Read and write rights on a chat channel; an absent right is not given. */
export interface ChatRights {
  readonly read?: boolean;
  readonly write?: boolean;
}

/** The least privilege: subscribe to the requested room, nothing else. */
export const DEFAULT_GRANT: Grant = Object.freeze({ role: 'subscriber' });
