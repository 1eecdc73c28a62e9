/** A role of roomkey's HTTP contract. */
export type TokenRole = 'subscriber' | 'publisher' | 'publisher-only' | 'moderator';

/** The names a token can have in a response: one per platform that the request addressed. */
export type TokenName = 'red5pro' | 'conference' | 'chat' | 'vonage' | 'livekit';

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
  /** TURN credentials (`turn` entry), beside the room's tokens or alone. */
  readonly turn?: true;
  readonly ttlMinutes?: number;
}

export interface IssuedToken {
  readonly token: string;
  /** ISO 8601, by the server's clock. */
  readonly expiresAt: string;
}

/** One `RTCIceServer`: usable as-is by `new RTCPeerConnection({ iceServers })`. */
export interface TurnIceServer {
  readonly urls: string[];
  readonly username?: string;
  readonly credential?: string;
}

/** The `turn` entry: TURN REST API credentials for the signed-in user, and when they expire. */
export interface TurnCredentials {
  readonly iceServers: TurnIceServer[];
  /** ISO 8601, by the server's clock. */
  readonly expiresAt: string;
}

/** The success body of `POST /tokens`. */
export interface TokenResponse {
  readonly identity: string;
  readonly role: TokenRole;
  readonly tokens: { readonly [name in TokenName]?: IssuedToken } & { readonly turn?: TurnCredentials };
}
