/**
 * `code` is the problem body's code (`unauthenticated`, `forbidden`, `rate_limited`, …), or one
 * of the client's own: `network_error` (no answer, or `headers` threw), `http_error` (an error
 * status without a problem body, from a proxy say), `invalid_response` (a success body that is
 * not the token contract), `token_expired` (a success body whose token has already expired by the
 * server's clock), `token_too_short` (one with less than 5 seconds left),
 * `aborted` (`clear()` was called).
 */
export type RoomkeyClientErrorCode =
  | 'invalid_request'
  | 'unauthenticated'
  | 'forbidden'
  | 'method_not_allowed'
  | 'request_timeout'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'internal_error'
  | 'upstream_error'
  | 'network_error'
  | 'http_error'
  | 'invalid_response'
  | 'token_expired'
  | 'token_too_short'
  | 'aborted'
  | (string & {});

/** Why a token request failed. Never holds a token. */
export class RoomkeyClientError extends Error {
  override readonly name = 'RoomkeyClientError';
  /** The HTTP status; 0 when there was no HTTP answer (`network_error`, `aborted`). */
  readonly status: number;
  readonly code: RoomkeyClientErrorCode;
  /** The problem body's `detail`, when the server sent one. */
  readonly detail: string | undefined;
  /** From `Retry-After` (429, or a 503 that sends it): how long to wait before asking again. */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    status: number,
    code: RoomkeyClientErrorCode,
    detail?: string,
    retryAfterSeconds?: number,
    options?: { cause?: unknown },
  ) {
    super(detail ? `${code}: ${detail}` : code, options);
    this.status = status;
    this.code = code;
    this.detail = detail;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}
