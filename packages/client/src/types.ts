/** A role of roomkey's HTTP contract. */
export type TokenRole = 'subscriber' | 'publisher' | 'publisher-only' | 'moderator';

/** The names a token can have in a response: one per platform that the request addressed. */
export type TokenName = 'red5pro' | 'conference' | 'chat' | 'vonage';

/** The body of `POST /tokens`. Every field is optional; the server says what it needs. */
export interface TokenRequest {
  /** A room: Red5 Pro (`red5pro`) and Red5 Cloud (`conference`) tokens. */
  readonly room?: string;
  readonly role?: TokenRole;
  /** `RTMP`, `RTSP`, `WHIP`, `WHEP`. */
  readonly transports?: readonly string[];
  /** A Red5 Cloud chat channel (`chat` token). */
  readonly channel?: string;
  /** A Vonage Video session id (`vonage` token). */
  readonly session?: string;
  readonly ttlMinutes?: number;
}

export interface IssuedToken {
  readonly token: string;
  /** ISO 8601, by the server's clock. */
  readonly expiresAt: string;
}

/** The success body of `POST /tokens`. */
export interface TokenResponse {
  readonly identity: string;
  readonly role: TokenRole;
  readonly tokens: { readonly [name in TokenName]?: IssuedToken };
}
