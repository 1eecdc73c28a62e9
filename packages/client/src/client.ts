import { RoomkeyClientError } from './errors.js';
import type { TokenRequest, TokenResponse } from './types.js';

/** Extra request headers: an object, or a function (sync or async) called before every request. */
export type TokenHeaders =
  | Readonly<Record<string, string>>
  | (() => Readonly<Record<string, string>> | Promise<Readonly<Record<string, string>>>);

/** What the client needs of `fetch`: the global one, or any implementation with its shape. */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export interface TokenClientOptions {
  /** The token endpoint, e.g. `/tokens` in a page served by the same app. */
  readonly url: string | URL;
  /** Sent with every request (your own bearer token, say); `Content-Type` is always JSON. */
  readonly headers?: TokenHeaders;
  /** Passed to fetch. Default `same-origin`: the page's cookies go to its own server only. */
  readonly credentials?: 'omit' | 'same-origin' | 'include';
  /** Replaces the global `fetch`. */
  readonly fetch?: FetchLike;
  /**
   * How long before expiry to refresh, in seconds. Default 60, and never more than half a
   * token's lifetime, so a token that lives one minute is refreshed after 30 seconds.
   */
  readonly refreshBeforeSeconds?: number;
}

export interface WatchHandlers {
  /** The first tokens, then fresh ones before each expiry. */
  onTokens(response: TokenResponse): void;
  /**
   * No valid token is at hand. Final for a 4xx other than 408 and 429 (`watch` has stopped);
   * otherwise `watch` keeps retrying (with backoff: 1–2 s, then up to 15–30 s, never less than
   * `Retry-After`, never two requests within 1 s) and calls `onTokens` again when it succeeds.
   * Called before a token expires without a replacement, and at most once until tokens arrive
   * again. An expired token or one with less than 5 s left is such an error (`token_expired`,
   * `token_too_short`), never handed to `onTokens`.
   */
  onError?(error: RoomkeyClientError): void;
}

export interface TokenClient {
  /**
   * Tokens for `request`: from the cache while they are not due for refresh, otherwise from
   * the server (concurrent calls for one request share one HTTP request). Never retries;
   * rejects with a {@link RoomkeyClientError}, also for a token that has expired or has less
   * than 5 s left by the server's clock.
   */
  get(request: TokenRequest): Promise<TokenResponse>;
  /** Keeps tokens for `request` fresh until `stop()` or `clear()`. Returns `stop`. */
  watch(request: TokenRequest, handlers: WatchHandlers): () => void;
  /** Logout: stops every watch, aborts every request in flight and forgets every token. */
  clear(): void;
}

interface Fetched {
  readonly body: TokenResponse;
  /** By this client's clock (`Date.now()`), from the server's own view of the lifetime. */
  readonly refreshAt: number;
  readonly expiresAt: number;
}

const MAX_DELAY = 2 ** 31 - 1;

/** One `watch` never sends two requests less than this apart, whatever the server answers. */
const MIN_REQUEST_INTERVAL_SECONDS = 1;
/** The longest wait between retries that the client chooses itself (`Retry-After` may say more). */
const MAX_RETRY_DELAY_SECONDS = 30;
/**
 * The longest `Retry-After` a `watch` obeys: a server (or a proxy) saying days must not leave a
 * signed-in user without tokens until then.
 */
const MAX_RETRY_AFTER_SECONDS = 3600;
/**
 * A token with less than this left, by the server's clock, is refused (`token_too_short`): it
 * would expire before it can be used, and refreshing it would ask the server every few seconds.
 */
const MIN_TOKEN_LIFETIME_SECONDS = 5;

/** The request's JSON with its fields sorted: same fields in any order, same cache entry. */
/**
 * An entry the caller can use: a token string, or credentials that are not one token (TURN's
 * `iceServers`); anything else is a broken answer, never handed out.
 */
function isUsableEntry(entry: unknown): boolean {
  if (typeof entry !== 'object' || entry === null) return false;
  const { token, iceServers } = entry as { token?: unknown; iceServers?: unknown };
  return (
    (typeof token === 'string' && token !== '') ||
    (token === undefined && Array.isArray(iceServers) && iceServers.length > 0 && iceServers.every(isIceServer))
  );
}

const isUri = (value: unknown) => typeof value === 'string' && value !== '';

/**
 * One `RTCIceServer` as `new RTCPeerConnection({ iceServers })` takes it: `urls` a URI or a
 * non-empty list of them, `username` and `credential` strings when present. Anything else would
 * reach the app's `onTokens` only to throw there, so the answer is refused here instead.
 */
function isIceServer(server: unknown): boolean {
  if (typeof server !== 'object' || server === null) return false;
  const { urls, username, credential } = server as { urls?: unknown; username?: unknown; credential?: unknown };
  return (
    (isUri(urls) || (Array.isArray(urls) && urls.length > 0 && urls.every(isUri))) &&
    (username === undefined || typeof username === 'string') &&
    (credential === undefined || typeof credential === 'string')
  );
}

function keyOf(request: TokenRequest): string {
  if (typeof request !== 'object' || request === null) throw new TypeError('the request must be an object');
  return JSON.stringify(request, (_name, value) =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(
          Object.keys(value)
            .sort()
            .map((name) => [name, value[name]]),
        )
      : value,
  );
}

/**
 * Creates a client for a roomkey token endpoint. Tokens live in memory only: never in Web
 * Storage, a cookie or the console.
 *
 * @example
 * const client = createTokenClient({ url: '/tokens' });
 * const stop = client.watch({ room: 'room-abc', role: 'publisher' }, {
 *   onTokens: ({ tokens }) => connect(tokens.red5pro?.token),
 *   onError: (error) => show(error.code),
 * });
 * // at logout
 * client.clear();
 */
export function createTokenClient(options: TokenClientOptions): TokenClient {
  const { url, headers = {}, credentials = 'same-origin', refreshBeforeSeconds = 60 } = options ?? {};
  if (typeof url !== 'string' && !(url instanceof URL)) throw new TypeError('url must be a string or a URL');
  if (!(refreshBeforeSeconds >= 0 && refreshBeforeSeconds < Infinity)) {
    throw new TypeError('refreshBeforeSeconds must be a number of seconds, 0 or more');
  }
  if (!['omit', 'same-origin', 'include'].includes(credentials)) {
    throw new TypeError("credentials must be 'omit', 'same-origin' or 'include'");
  }
  const send: FetchLike = options.fetch ?? ((input, init) => fetch(input, init));
  const endpoint = String(url);
  const fresh = new Map<string, Fetched>();
  const inFlight = new Map<string, Promise<Fetched>>();
  const controllers = new Set<AbortController>();
  const watches = new Set<() => void>();
  let generation = 0;

  async function request(body: string, signal: AbortSignal, started: number): Promise<Fetched> {
    let response: Response;
    let json: unknown;
    try {
      const extra = typeof headers === 'function' ? await headers() : headers;
      response = await send(endpoint, {
        method: 'POST',
        headers: { ...extra, 'content-type': 'application/json' },
        body,
        credentials,
        signal,
      });
      json = await response.json().catch(() => undefined);
    } catch (error) {
      throw signal.aborted
        ? new RoomkeyClientError(0, 'aborted', 'the client was cleared')
        : new RoomkeyClientError(0, 'network_error', 'the token endpoint did not answer', undefined, { cause: error });
    }
    const received = Date.now();
    const serverNow = Date.parse(response.headers.get('date') ?? '');
    const problem = (json ?? {}) as { code?: unknown; detail?: unknown };
    if (!response.ok) {
      const retryAfter = response.headers.get('retry-after');
      let wait: number | undefined;
      if (retryAfter) {
        wait = /^\d+$/.test(retryAfter)
          ? Number(retryAfter)
          : Math.ceil((Date.parse(retryAfter) - (serverNow || received)) / 1000);
        if (!(wait >= 0)) wait = undefined;
      }
      throw new RoomkeyClientError(
        response.status,
        typeof problem.code === 'string' ? problem.code : 'http_error',
        typeof problem.detail === 'string' ? problem.detail : undefined,
        wait,
      );
    }
    const tokens = Object.values((json as Partial<TokenResponse> | undefined)?.tokens ?? {});
    const earliest = Math.min(...tokens.map((token) => Date.parse(token?.expiresAt as string)));
    if (tokens.length === 0 || Number.isNaN(earliest) || !tokens.every(isUsableEntry)) {
      throw new RoomkeyClientError(response.status, 'invalid_response', 'the answer is not a token response');
    }
    // The lifetime by the server's clock (Date against expiresAt), counted from when the request
    // left: a client clock that is off by minutes changes nothing. Date has whole seconds, so one
    // second less. Without a Date header (cross-origin, not exposed), the client's clock decides.
    const expiresAt = Number.isNaN(serverNow) ? earliest : started + earliest - serverNow - 1000;
    const left = expiresAt - received;
    if (left < MIN_TOKEN_LIFETIME_SECONDS * 1000) {
      // Never handed out as fresh: an expired token (a server clock or cache gone wrong), or one
      // too short-lived to connect with, is a failure and retried with backoff like any other.
      throw left <= 0
        ? new RoomkeyClientError(response.status, 'token_expired', 'the server answered with an expired token')
        : new RoomkeyClientError(
            response.status,
            'token_too_short',
            `the server answered with a token that expires in less than ${MIN_TOKEN_LIFETIME_SECONDS} seconds`,
          );
    }
    const margin = Math.min(refreshBeforeSeconds * 1000, left / 2);
    return { body: json as TokenResponse, refreshAt: expiresAt - margin, expiresAt };
  }

  function load(key: string): Promise<Fetched> {
    const cached = fresh.get(key);
    if (cached && Date.now() < cached.refreshAt) return Promise.resolve(cached);
    let pending = inFlight.get(key);
    if (!pending) {
      const controller = new AbortController();
      const at = generation;
      controllers.add(controller);
      pending = request(key, controller.signal, Date.now())
        .then((fetched) => {
          if (at !== generation) throw new RoomkeyClientError(0, 'aborted', 'the client was cleared');
          fresh.set(key, fetched);
          return fetched;
        })
        .finally(() => {
          controllers.delete(controller);
          if (at === generation) inFlight.delete(key);
        });
      inFlight.set(key, pending);
    }
    return pending;
  }

  return {
    get: async (request_) => (await load(keyOf(request_))).body,

    watch(request_, { onTokens, onError }) {
      const key = keyOf(request_);
      let timer: ReturnType<typeof setTimeout> | undefined;
      let guard: ReturnType<typeof setTimeout> | undefined;
      let current: Fetched | undefined;
      let lastError: RoomkeyClientError | undefined;
      let reported = false;
      let attempt = 0;
      let stopped = false;
      const later = (ms: number, then: () => void) => setTimeout(then, Math.min(Math.max(ms, 0), MAX_DELAY));
      // Every request after the first goes through here: the hard floor holds whatever happens.
      const next = (ms: number) => {
        timer = later(Math.max(ms, MIN_REQUEST_INTERVAL_SECONDS * 1000), run);
      };
      const report = (error: RoomkeyClientError) => {
        if (!reported) {
          reported = true;
          onError?.(error);
        }
      };
      // setTimeout waits at most MAX_DELAY (~24.8 days) and a token may live 30: waited in steps.
      const watchExpiry = (deadline: number) => {
        guard = later(deadline - Date.now(), () => {
          if (Date.now() < deadline) return watchExpiry(deadline);
          current = undefined;
          report(lastError ?? new RoomkeyClientError(0, 'network_error', 'no fresh tokens before expiry'));
        });
      };
      const stop = () => {
        stopped = true;
        clearTimeout(timer);
        clearTimeout(guard);
        watches.delete(stop);
      };
      const run = () => {
        load(key).then(
          (fetched) => {
            if (stopped) return;
            attempt = 0;
            // Scheduled before the app's callback runs: an onTokens that throws must not end the watch.
            next(fetched.refreshAt - Date.now());
            if (fetched !== current) {
              current = fetched;
              reported = false;
              clearTimeout(guard);
              // A token never expires unannounced: if no replacement came, say so a second before.
              watchExpiry(fetched.expiresAt - 1000);
              onTokens(fetched.body);
            }
          },
          (error: RoomkeyClientError) => {
            if (stopped) return;
            const { status } = error;
            if (status >= 400 && status < 500 && status !== 408 && status !== 429) {
              stop();
              onError?.(error);
              return;
            }
            lastError = error;
            // Capped exponential backoff with "equal" jitter: a random wait in the upper half of
            // 2 s, 4 s, 8 s… 30 s, so that the shortest possible wait grows too (1 s, 2 s, 4 s…
            // 15 s). Retry-After may lengthen the wait, never shorten it: a server saying 0 is
            // not obeyed into a tight loop.
            const ceiling = Math.min(MAX_RETRY_DELAY_SECONDS, 2 * MIN_REQUEST_INTERVAL_SECONDS * 2 ** attempt) * 1000;
            attempt = Math.min(attempt + 1, 16);
            next(
              Math.max(
                ceiling / 2 + (Math.random() * ceiling) / 2,
                Math.min(error.retryAfterSeconds ?? 0, MAX_RETRY_AFTER_SECONDS) * 1000,
              ),
            );
            // After the retry is scheduled: an onError that throws must not end the watch.
            if (!current) report(error);
          },
        );
      };
      watches.add(stop);
      run();
      return stop;
    },

    clear() {
      generation++;
      for (const stop of [...watches]) stop();
      for (const controller of controllers) controller.abort();
      controllers.clear();
      fresh.clear();
      inFlight.clear();
    },
  };
}
