/** The stable `code` of every problem response, with its HTTP status (the HTTP contract in the README). */
export const PROBLEM_STATUS = {
  invalid_request: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  request_timeout: 408,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal_error: 500,
  upstream_error: 502,
  service_unavailable: 503,
} as const;

export type ProblemCode = keyof typeof PROBLEM_STATUS;

const TITLES: Record<ProblemCode, string> = {
  invalid_request: 'Bad Request',
  unauthenticated: 'Unauthorized',
  forbidden: 'Forbidden',
  not_found: 'Not Found',
  method_not_allowed: 'Method Not Allowed',
  request_timeout: 'Request Timeout',
  payload_too_large: 'Content Too Large',
  unsupported_media_type: 'Unsupported Media Type',
  rate_limited: 'Too Many Requests',
  internal_error: 'Internal Server Error',
  upstream_error: 'Bad Gateway',
  service_unavailable: 'Service Unavailable',
};

/** What an adapter writes back: status, headers and a serialised body. */
export interface TokenResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** Token responses and problems alike must never be stored by a cache. */
export const NO_STORE = 'no-store';

/**
 * A client-facing failure: becomes an RFC 9457 problem response. `detail` is written for the
 * client and must never hold a token, a secret or a header value.
 */
export class HttpProblem extends Error {
  override readonly name = 'HttpProblem';
  readonly code: ProblemCode;
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    code: ProblemCode,
    detail: string,
    headers: Readonly<Record<string, string>> = {},
    options?: { cause?: unknown },
  ) {
    super(detail, options);
    this.code = code;
    this.status = PROBLEM_STATUS[code];
    this.headers = headers;
  }
}

/**
 * An `application/problem+json` response with a stable `code`, for routes an app adds next to
 * roomkey's so that every error the service answers looks the same.
 *
 * @example
 * const { status, headers, body } = problemResponse('not_found', 'No route for this path.');
 */
export function problemResponse(
  code: ProblemCode,
  detail: string,
  headers: Readonly<Record<string, string>> = {},
  extensions: Readonly<Record<string, unknown>> = {},
): TokenResponse {
  const status = PROBLEM_STATUS[code];
  return {
    status,
    headers: { 'content-type': 'application/problem+json', 'cache-control': NO_STORE, ...headers },
    // RFC 9457 extension members (e.g. `success: false` for Red5's SDK) come after the standard ones.
    body: JSON.stringify({ type: 'about:blank', title: TITLES[code], status, code, detail, ...extensions }),
  };
}

/**
 * The headers of every JSON answer, one object shared by every answer (typed read-only;
 * adapters only read it). Not frozen: Node's writeHead() enumerates a frozen object's keys
 * measurably slower (≈ 2 µs a request in the Express profile).
 */
const JSON_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': NO_STORE,
};

/** A JSON answer; `body` is JSON text already, or a value to serialise. */
export function jsonResponse(status: number, value: unknown, serialized?: string): TokenResponse {
  return { status, headers: JSON_HEADERS, body: serialized ?? JSON.stringify(value) };
}

/** Characters a token may hold and be written into JSON as it is (JWS compact, `T1==`, PubNub). */
const JSON_SAFE = /^[A-Za-z0-9._~+/=-]*$/;

/**
 * The success body `{identity, role, tokens: {name: {token, expiresAt}}}` as JSON, written
 * directly: JSON.stringify walking it was ~0.8 µs of every request (the HTTP benchmark).
 * Strings that could need escaping (the identity, a token or token name of another shape) still
 * go through JSON.stringify; a role and an ISO date never do.
 */
export function tokenBodyJson(body: {
  readonly identity: string;
  readonly role: string;
  readonly tokens: Readonly<Record<string, { readonly token: string; readonly expiresAt: string }>>;
}): string {
  let tokens = '';
  for (const name in body.tokens) {
    const entry = body.tokens[name] as { token: string; expiresAt: string };
    const { token, expiresAt } = entry;
    if (typeof token !== 'string') {
      // Credentials of another shape (TURN's iceServers): written as they are.
      tokens += `${tokens === '' ? '' : ','}${JSON.stringify(name)}:${JSON.stringify(entry)}`;
      continue;
    }
    const quoted = JSON_SAFE.test(token) ? `"${token}"` : JSON.stringify(token);
    tokens += `${tokens === '' ? '' : ','}${JSON.stringify(name)}:{"token":${quoted},"expiresAt":"${expiresAt}"}`;
  }
  return `{"identity":${JSON.stringify(body.identity)},"role":"${body.role}","tokens":{${tokens}}}`;
}
