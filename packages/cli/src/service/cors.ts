/*
 * CORS for the token routes: an exact-origin allow-list, closed when empty. Browsers call the
 * routes with `Authorization` (an OIDC access token) and a JSON body, so every call is preflighted.
 * Service keys belong to backends, which need no CORS: `Roomkey-User` is not an allowed header.
 */

/** How long a browser may reuse a preflight's answer, in seconds (Chromium caps it at 7200). */
export const CORS_MAX_AGE_SECONDS = 600;

/** The answer's headers a browser app may read: the client times refreshes by `Date` and backs off by `Retry-After`. */
const EXPOSED = 'Date, Retry-After, WWW-Authenticate';

/** The headers of an actual answer for `origin`: allow-origin for an allowed one, always `Vary: Origin`. */
export function corsHeaders(origin: string | undefined, allowed: readonly string[]): Record<string, string> {
  if (allowed.length === 0) return {};
  if (origin === undefined || !allowed.includes(origin)) return { vary: 'Origin' };
  return { 'access-control-allow-origin': origin, 'access-control-expose-headers': EXPOSED, vary: 'Origin' };
}

/**
 * The answer to `OPTIONS` on a token route: 204, with the CORS headers when the origin is
 * allowed and nothing that lets a browser through otherwise.
 */
export function preflight(
  origin: string | undefined,
  allowed: readonly string[],
): { status: number; headers: Record<string, string> } {
  const headers: Record<string, string> = { allow: 'POST, OPTIONS', vary: 'Origin', 'content-length': '0' };
  if (origin !== undefined && allowed.includes(origin)) {
    Object.assign(headers, {
      'access-control-allow-origin': origin,
      'access-control-allow-methods': 'POST',
      'access-control-allow-headers': 'Authorization, Content-Type',
      'access-control-max-age': String(CORS_MAX_AGE_SECONDS),
    });
  }
  return { status: 204, headers };
}
