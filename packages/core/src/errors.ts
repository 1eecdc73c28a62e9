/**
 * Every failure roomkey reports about a token or a claim carries one of these codes.
 * Callers switch on `code`, never on message text.
 */
export type RoomkeyErrorCode =
  /** A claim given to a signer would be unsafe or invalid (a room with a comma, an unknown role…). */
  | 'invalid_claim'
  /** The token is not a well-formed compact JWS, or lacks a claim the platform requires. */
  | 'malformed'
  /** The signature does not verify with any configured secret, or the algorithm is not allowed. */
  | 'signature_invalid'
  /** `exp` lies in the past (beyond the clock tolerance). */
  | 'token_expired'
  /** `nbf` lies in the future (beyond the clock tolerance). */
  | 'not_yet_valid'
  /** `iss` differs from the expected issuer. */
  | 'issuer_mismatch'
  /** `exp` lies further ahead than the server's `jwtTtlMinutes` allows. */
  | 'ttl_exceeded'
  /** The token's `roles` claim does not allow the required role. */
  | 'role_denied'
  /** The token's `red5-transport` claim does not allow the required transport. */
  | 'transport_denied'
  /** The token's `red5-room` claim does not allow the required room. */
  | 'room_denied'
  /** A platform API that token issuing depends on (PubNub Access Manager) failed or refused. */
  | 'upstream_error';

/**
 * The one error class roomkey throws for bad tokens and bad claims.
 * Messages never contain a token, a secret or a key.
 */
export class RoomkeyError extends Error {
  override readonly name = 'RoomkeyError';
  readonly code: RoomkeyErrorCode;

  constructor(code: RoomkeyErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** True when `error` is a {@link RoomkeyError}, optionally with the given code. */
export function isRoomkeyError(error: unknown, code?: RoomkeyErrorCode): error is RoomkeyError {
  return error instanceof RoomkeyError && (code === undefined || error.code === code);
}
