import type { Role } from './roles.js';

/** Who is asking, as the app's `identify` callback says. Only `id` is ever used by roomkey. */
export interface Identity {
  /** Stable user id: becomes the token's subject (`sub`, `uid`). */
  readonly id: string;
  readonly [key: string]: unknown;
}

/**
 * What the app's `authorize` hook allows a caller. Anything the request asks for must lie
 * within it; nothing is widened. A list that is left out grants nothing: rooms, channels,
 * sessions and transports are each open only when the grant lists them or says `'any'`.
 */
export interface Grant {
  /** The highest role the caller may have; also the role issued when the request names none. */
  readonly role: Role;
  /**
   * Rooms the caller may enter (Red5 Pro, Red5 Cloud conference): a list, or `'any'` for every
   * valid room name. Absent or empty: none.
   */
  readonly rooms?: readonly string[] | 'any';
  /** Red5 Cloud chat channels the caller may use; same rules as `rooms`. */
  readonly channels?: readonly string[] | 'any';
  /** Vonage session ids the caller may join; same rules as `rooms`. */
  readonly sessions?: readonly string[] | 'any';
  /**
   * Red5 Pro transports the caller may use (`RTMP`, `RTSP`, `WHIP`, `WHEP`, any case), or
   * `'any'`. Absent: none, so a Red5 Pro token is refused (403). An empty list is a mistake
   * (500): leave the field out to grant none.
   */
  readonly transports?: readonly string[] | 'any';
  /**
   * Upper bound for the token lifetime, in whole minutes. It caps, never sets: a request that
   * names no lifetime gets the least of the platform's default and this cap.
   */
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

/**
 * The grant of an issuer without an `authorize` hook, the least privilege: subscribe to the
 * room the request names, over any transport; no chat channel, no Vonage session.
 */
export function defaultGrant(request: { readonly room?: string | undefined }): Grant {
  return { role: 'subscriber', rooms: request.room === undefined ? [] : [request.room], transports: 'any' };
}
