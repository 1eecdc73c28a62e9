import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createTokenClient, RoomkeyClientError, type TokenResponse } from '../src/index.js';
import { problem, startTokenServer, type TokenServer, tokenAnswer } from './support/token-server.js';

let server: TokenServer;
const consoleCalls: unknown[] = [];

beforeEach(async () => {
  server = await startTokenServer();
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    vi.spyOn(console, method).mockImplementation((...args) => consoleCalls.push(args));
  }
});
afterEach(async () => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  await server.close();
  // The client never writes to the console, whatever happened in the test.
  expect(consoleCalls).toEqual([]);
});

async function rejection(promise: Promise<unknown>): Promise<RoomkeyClientError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(RoomkeyClientError);
  return error as RoomkeyClientError;
}

describe('get', () => {
  it('POSTs the request as JSON with the given headers and resolves with the success body', async () => {
    const client = createTokenClient({ url: server.url, headers: { authorization: 'Bearer demo-bob' } });
    const body = await client.get({ room: 'room-abc', role: 'publisher', transports: ['WHIP'] });
    expect(body.identity).toBe('bob');
    expect(body.tokens.red5pro?.token).toBe('token-0');
    const [request] = server.requests;
    expect(JSON.parse(request?.body ?? '')).toEqual({ room: 'room-abc', role: 'publisher', transports: ['WHIP'] });
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.headers.authorization).toBe('Bearer demo-bob');
  });

  it('calls an async headers function before every request', async () => {
    let calls = 0;
    const client = createTokenClient({
      url: new URL(server.url),
      headers: async () => ({ authorization: `Bearer app-token-${++calls}` }),
    });
    await client.get({ room: 'a' });
    await client.get({ room: 'b' });
    expect(server.requests.map((request) => request.headers.authorization)).toEqual([
      'Bearer app-token-1',
      'Bearer app-token-2',
    ]);
  });

  it('serves one cache entry for the same fields in any order', async () => {
    const client = createTokenClient({ url: server.url });
    const first = await client.get({ room: 'room-abc', role: 'publisher', transports: ['WHIP'] });
    const second = await client.get({ transports: ['WHIP'], role: 'publisher', room: 'room-abc' });
    expect(second).toBe(first);
    expect(server.requests).toHaveLength(1);
    await client.get({ room: 'room-abc', role: 'subscriber' });
    expect(server.requests).toHaveLength(2);
  });

  it('shares one HTTP request between concurrent calls for one request', async () => {
    let release: () => void = () => {};
    const hold = new Promise<void>((resolve) => {
      release = resolve;
    });
    server.answer = (_request, index) => ({ ...tokenAnswer(3_600_000, 0, index), hold });
    const client = createTokenClient({ url: server.url });
    const calls = [
      client.get({ room: 'room-abc', role: 'publisher' }),
      client.get({ role: 'publisher', room: 'room-abc' }),
      client.get({ room: 'room-abc', role: 'publisher' }),
    ];
    await vi.waitFor(() => expect(server.requests).toHaveLength(1));
    release();
    const [a, b, c] = await Promise.all(calls);
    expect(b).toBe(a);
    expect(c).toBe(a);
    expect(server.requests).toHaveLength(1);
  });

  it('rejects with the problem code, status and detail, and never retries a 4xx', async () => {
    server.answer = () => problem(403, 'forbidden', 'the grant does not include the publisher role');
    const client = createTokenClient({ url: server.url });
    const error = await rejection(client.get({ room: 'room-abc', role: 'publisher' }));
    expect(error).toMatchObject({
      status: 403,
      code: 'forbidden',
      detail: 'the grant does not include the publisher role',
      retryAfterSeconds: undefined,
    });
    expect(server.requests).toHaveLength(1);
    // Failures are not cached: the next call asks again.
    await rejection(client.get({ room: 'room-abc', role: 'publisher' }));
    expect(server.requests).toHaveLength(2);
  });

  it('reads Retry-After as seconds or as an HTTP date against the server clock', async () => {
    const client = createTokenClient({ url: server.url });
    server.answer = () => problem(429, 'rate_limited', 'slow down', { 'retry-after': '17' });
    expect(await rejection(client.get({ room: 'a' }))).toMatchObject({ status: 429, retryAfterSeconds: 17 });

    const serverNow = Date.UTC(2030, 0, 1, 12, 0, 0);
    server.answer = () =>
      problem(429, 'rate_limited', 'slow down', {
        date: new Date(serverNow).toUTCString(),
        'retry-after': new Date(serverNow + 42_000).toUTCString(),
      });
    expect(await rejection(client.get({ room: 'a' }))).toMatchObject({ retryAfterSeconds: 42 });
  });

  it('reports an error page without a problem body as http_error, a wrong success body as invalid_response', async () => {
    const client = createTokenClient({ url: server.url });
    server.answer = () => ({ status: 502, headers: { 'content-type': 'text/html' }, body: '<h1>Bad Gateway</h1>' });
    expect(await rejection(client.get({ room: 'a' }))).toMatchObject({ status: 502, code: 'http_error' });
    server.answer = () => ({ body: { identity: 'bob', tokens: { red5pro: { token: 'x' } } } });
    expect(await rejection(client.get({ room: 'a' }))).toMatchObject({ status: 200, code: 'invalid_response' });
    server.answer = () => ({ body: '<!doctype html>' });
    expect(await rejection(client.get({ room: 'a' }))).toMatchObject({ code: 'invalid_response' });
    // An entry with neither a token nor TURN's iceServers is as unusable.
    const expiresAt = new Date(Date.now() + 600_000).toISOString();
    for (const turn of [{ expiresAt }, { iceServers: [], expiresAt }, { token: 7, iceServers: [{}], expiresAt }]) {
      server.answer = () => ({ body: { identity: 'bob', role: 'subscriber', tokens: { turn } } });
      expect(await rejection(client.get({ turn: true }))).toMatchObject({ code: 'invalid_response' });
    }
  });

  it('refuses TURN entries whose iceServers RTCPeerConnection could not take, never hands them on', async () => {
    const client = createTokenClient({ url: server.url });
    const expiresAt = new Date(Date.now() + 600_000).toISOString();
    const good = { urls: ['turn:turn.example.test:3478'], username: '1:bob', credential: 'c2VjcmV0' };
    const malformed: unknown[] = [
      'turn:turn.example.test:3478',
      [null],
      [7],
      [{}],
      [{ urls: 7 }],
      [{ urls: '' }],
      [{ urls: [] }],
      [{ urls: [7] }],
      [{ urls: [''] }],
      [{ ...good, username: 7 }],
      [{ ...good, credential: {} }],
      [good, { urls: [null] }],
    ];
    for (const iceServers of malformed) {
      server.answer = () => ({
        body: { identity: 'bob', role: 'subscriber', tokens: { turn: { iceServers, expiresAt } } },
      });
      const error = await rejection(client.get({ turn: true }));
      expect(error, JSON.stringify(iceServers)).toMatchObject({ code: 'invalid_response' });
    }
    // The shapes RTCIceServer allows still pass: urls a string or a list, STUN without credentials.
    const iceServers = [good, { urls: 'stun:turn.example.test:3478' }];
    server.answer = () => ({
      body: { identity: 'bob', role: 'subscriber', tokens: { turn: { iceServers, expiresAt } } },
    });
    expect((await client.get({ turn: true })).tokens.turn).toEqual({ iceServers, expiresAt });
  });

  it('refuses an empty token string as invalid_response, never returns it', async () => {
    const client = createTokenClient({ url: server.url });
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
    server.answer = () => ({
      body: { identity: 'bob', role: 'publisher', tokens: { red5pro: { token: '', expiresAt } } },
    });
    expect(await rejection(client.get({ room: 'a' }))).toMatchObject({ status: 200, code: 'invalid_response' });
  });

  it('rejects a token that has expired or has less than 5 s left by the server clock, never returns it', async () => {
    const client = createTokenClient({ url: server.url });
    server.answer = () => tokenAnswer(-60_000);
    expect(await rejection(client.get({ room: 'a' }))).toMatchObject({ status: 200, code: 'token_expired' });
    server.answer = () => tokenAnswer(3_000);
    expect(await rejection(client.get({ room: 'a' }))).toMatchObject({ status: 200, code: 'token_too_short' });
    server.answer = () => tokenAnswer(8_000);
    expect((await client.get({ room: 'a' })).tokens.red5pro?.token).toBe('token-0');
  });

  it('reports an unreachable endpoint as network_error with status 0', async () => {
    const url = server.url;
    await server.close();
    server = await startTokenServer();
    const error = await rejection(createTokenClient({ url }).get({ room: 'a' }));
    expect(error).toMatchObject({ status: 0, code: 'network_error' });
  });

  it('refuses bad options and requests with a TypeError', async () => {
    expect(() => createTokenClient({} as never)).toThrow(TypeError);
    expect(() => createTokenClient({ url: server.url, refreshBeforeSeconds: -1 })).toThrow(/refreshBeforeSeconds/);
    expect(() => createTokenClient({ url: server.url, credentials: 'all' as never })).toThrow(/credentials/);
    const client = createTokenClient({ url: server.url });
    await expect(client.get(null as never)).rejects.toThrow(TypeError);
    expect(() => client.watch('room-abc' as never, { onTokens() {} })).toThrow(TypeError);
  });
});

describe('refresh timed by the server clock', () => {
  // The client's Date is moved minutes away from the server's (real) clock; the token lives 8 s
  // by the server's clock, and is due halfway (4 s before expiry at most). The refresh must reach
  // the server before that token expires, and not early: a client trusting its own clock would
  // refresh 5 minutes late, or refuse the token as expired (it looks 5 minutes old).
  it.each([
    ['5 minutes behind', -300_000],
    ['5 minutes ahead', 300_000],
  ])('refreshes in time when the client clock is %s', async (_name, offset) => {
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + offset, shouldAdvanceTime: true });
    const expiries: number[] = [];
    server.answer = (_request, index) => {
      const answer = tokenAnswer(8_000, 0, index);
      expiries.push(Date.parse((answer.body as TokenResponse).tokens.red5pro?.expiresAt ?? ''));
      return answer;
    };
    const client = createTokenClient({ url: server.url, refreshBeforeSeconds: 4 });
    const delivered: string[] = [];
    client.watch({ room: 'room-abc' }, { onTokens: (body) => delivered.push(body.tokens.red5pro?.token ?? '') });
    await vi.waitFor(() => expect(delivered).toEqual(['token-0', 'token-1']), { timeout: 10_000, interval: 50 });
    client.clear();
    const [first, refresh] = server.requests;
    const leadMs = (expiries[0] ?? 0) - (refresh?.at ?? Infinity);
    // Before the first token expired, by the server's clock, and not in the first half of its life
    // (Date has whole seconds, so the client counts up to one second less than the server's 8).
    expect(leadMs).toBeGreaterThan(0);
    expect((refresh?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(3_400);
    expect(server.requests).toHaveLength(2);
  });
});

describe('watch', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });

  /** Lets the client's fetch reach the real server and its answer come back. */
  async function settle(requests: number) {
    // Real-time polling (vi.waitFor would move the fake clock): the answer travels for real.
    for (let tries = 0; server.requests.length < requests && tries < 300; tries++) await sleep(10);
    expect(server.requests).toHaveLength(requests);
    await sleep(30);
    await vi.advanceTimersByTimeAsync(0);
  }

  it('retries a 5xx with capped exponential backoff and jitter, then delivers', async () => {
    server.answer = (_request, index) =>
      index < 6 ? problem(503, 'upstream_error', 'PubNub failed') : tokenAnswer(3_600_000, 0, index);
    const errors: RoomkeyClientError[] = [];
    const tokens: TokenResponse[] = [];
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    const client = createTokenClient({ url: server.url });
    client.watch({ room: 'a' }, { onTokens: (body) => tokens.push(body), onError: (error) => errors.push(error) });
    await settle(1);
    // Jitter 0.5 → three quarters of 2 s, 4 s, 8 s, 16 s, then the 30 s cap.
    for (const [index, wait] of [1_500, 3_000, 6_000, 12_000, 22_500, 22_500].entries()) {
      await vi.advanceTimersByTimeAsync(wait - 1);
      await new Promise((resolve) => setImmediate(resolve));
      expect(server.requests).toHaveLength(index + 1);
      await vi.advanceTimersByTimeAsync(1);
      await settle(index + 2);
    }
    expect(tokens).toHaveLength(1);
    // Told once that no token is at hand yet, with the server's code.
    expect(errors.map((error) => error.code)).toEqual(['upstream_error']);
    client.clear();
  });

  /**
   * The global fetch, watched: `idle()` returns once no request is in flight and the client has
   * handled the answer, so a test can step the fake clock without racing the real server.
   */
  function trackedFetch() {
    let inFlight = 0;
    const sentAt: number[] = [];
    return {
      sentAt,
      fetch: async (url: string, init: RequestInit) => {
        inFlight++;
        sentAt.push(Date.now());
        try {
          const response = await fetch(url, init);
          const body = await response.arrayBuffer();
          return new Response(body, { status: response.status, headers: response.headers });
        } finally {
          inFlight--;
        }
      },
      async idle() {
        for (let tries = 0; inFlight > 0 && tries < 1_000; tries++) await sleep(5);
        expect(inFlight).toBe(0);
        for (let turns = 0; turns < 3; turns++) await new Promise((resolve) => setImmediate(resolve));
        await vi.advanceTimersByTimeAsync(0);
      },
    };
  }

  /** Runs a watch for `ms` of fake time in 100 ms steps; returns the gaps between its requests. */
  async function runFor(transport: ReturnType<typeof trackedFetch>, ms: number): Promise<number[]> {
    for (let elapsed = 0; elapsed < ms; elapsed += 100) {
      await transport.idle();
      await vi.advanceTimersByTimeAsync(100);
    }
    await transport.idle();
    return transport.sentAt.slice(1).map((at, index) => at - (transport.sentAt[index] ?? 0));
  }

  it.each([
    [429, 'rate_limited'],
    [503, 'upstream_error'],
  ])('backs off on %i with Retry-After: 0: a 1 s floor, and waits that grow to 15-30 s', async (status, code) => {
    server.answer = () => problem(status, code, 'busy', { 'retry-after': '0' });
    // The shortest waits the jitter can draw.
    vi.spyOn(Math, 'random').mockReturnValue(0);
    const transport = trackedFetch();
    const errors: RoomkeyClientError[] = [];
    const tokens: TokenResponse[] = [];
    const client = createTokenClient({ url: server.url, fetch: transport.fetch });
    client.watch({ room: 'a' }, { onTokens: (body) => tokens.push(body), onError: (error) => errors.push(error) });
    const gaps = await runFor(transport, 59_900);
    expect(gaps).toEqual([1_000, 2_000, 4_000, 8_000, 15_000, 15_000]);
    expect(server.requests).toHaveLength(7);
    expect(tokens).toEqual([]);
    expect(errors.map((error) => [error.status, error.code])).toEqual([[status, code]]);
    client.clear();
  });

  it('obeys Retry-After for at most an hour, whatever the server says', async () => {
    server.answer = () => problem(429, 'rate_limited', 'busy', { 'retry-after': '86400' });
    vi.spyOn(Math, 'random').mockReturnValue(0);
    const transport = trackedFetch();
    const client = createTokenClient({ url: server.url, fetch: transport.fetch });
    client.watch({ room: 'a' }, { onTokens: () => {}, onError: () => {} });
    await transport.idle();
    expect(server.requests).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(3_599_000);
    await transport.idle();
    expect(server.requests).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1_000);
    await transport.idle();
    expect(server.requests).toHaveLength(2);
    client.clear();
  });

  it.each([
    ['already expired', -60_000, 'token_expired'],
    ['with 3 s left', 3_000, 'token_too_short'],
  ])(
    'refuses a token %s: onError with its code, never onTokens, retried with backoff',
    async (_name, lifetime, code) => {
      server.answer = (_request, index) => tokenAnswer(lifetime, 0, index);
      vi.spyOn(Math, 'random').mockReturnValue(0);
      const transport = trackedFetch();
      const errors: RoomkeyClientError[] = [];
      const tokens: string[] = [];
      const client = createTokenClient({ url: server.url, fetch: transport.fetch });
      client.watch(
        { room: 'a' },
        { onTokens: (body) => tokens.push(body.tokens.red5pro?.token ?? ''), onError: (error) => errors.push(error) },
      );
      const gaps = await runFor(transport, 59_900);
      expect(gaps).toEqual([1_000, 2_000, 4_000, 8_000, 15_000, 15_000]);
      expect(tokens).toEqual([]);
      expect(errors.map((error) => [error.status, error.code])).toEqual([[200, code]]);
      // Once the server answers with a usable token, it is delivered.
      server.answer = (_request, index) => tokenAnswer(3_600_000, 0, index);
      await runFor(transport, 15_000);
      expect(tokens).toEqual(['token-7']);
      client.clear();
    },
  );

  it('keeps refreshing when onTokens throws (the exception still reaches the host as unhandled)', async () => {
    server.answer = (_request, index) => tokenAnswer(120_000, 0, index);
    const thrown: unknown[] = [];
    // The app's exception is not swallowed: it surfaces as an unhandled rejection, caught here.
    const listeners = process.listeners('unhandledRejection');
    process.removeAllListeners('unhandledRejection');
    process.on('unhandledRejection', (reason) => thrown.push(reason));
    try {
      const delivered: string[] = [];
      const transport = trackedFetch();
      const client = createTokenClient({ url: server.url, fetch: transport.fetch });
      client.watch(
        { room: 'a' },
        {
          onTokens: (body) => {
            delivered.push(body.tokens.red5pro?.token ?? '');
            if (delivered.length === 1) throw new Error('the app failed to connect');
          },
        },
      );
      await transport.idle();
      // Refreshed about 60 s before expiry, as if nothing had thrown (a timer cut to whole
      // milliseconds may wake just before a fractional refresh time: then one floor of 1 s later).
      await vi.advanceTimersByTimeAsync(61_000);
      await transport.idle();
      expect(server.requests).toHaveLength(2);
      expect(delivered).toEqual(['token-0', 'token-1']);
      expect(thrown.map((reason) => (reason as Error).message)).toEqual(['the app failed to connect']);
      client.clear();
    } finally {
      process.removeAllListeners('unhandledRejection');
      for (const listener of listeners) process.on('unhandledRejection', listener);
    }
  });

  it('watches a 30-day token (longer than setTimeout can wait) without a false alarm, refreshing it once due', async () => {
    const day = 86_400_000;
    server.answer = (_request, index) => tokenAnswer(30 * day, 0, index);
    const events: string[] = [];
    const transport = trackedFetch();
    const client = createTokenClient({ url: server.url, fetch: transport.fetch });
    client.watch(
      { session: 's' },
      {
        onTokens: (body) => events.push(`tokens ${body.tokens.red5pro?.token}`),
        onError: (error) => events.push(`error ${error.code}`),
      },
    );
    await transport.idle();
    // Past the ~24.8 days a single setTimeout can wait: nothing happens, the token has days left.
    await vi.advanceTimersByTimeAsync(26 * day);
    expect(events).toEqual(['tokens token-0']);
    expect(server.requests).toHaveLength(1);
    // Refreshed a minute before expiry, as any token.
    await vi.advanceTimersByTimeAsync(4 * day - 30_000);
    await transport.idle();
    expect(server.requests).toHaveLength(2);
    expect(events).toEqual(['tokens token-0', 'tokens token-1']);
    client.clear();
  });

  it('sends nothing more once onTokens or onError calls stop', async () => {
    let failing = false;
    server.answer = (_request, index) =>
      failing ? problem(503, 'upstream_error', 'down') : tokenAnswer(120_000, 0, index);
    const transport = trackedFetch();
    const client = createTokenClient({ url: server.url, fetch: transport.fetch });
    const stopFromTokens = client.watch({ room: 'a' }, { onTokens: () => stopFromTokens() });
    await transport.idle();
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(server.requests).toHaveLength(1);
    failing = true;
    const stopFromError = client.watch({ room: 'b' }, { onTokens: () => {}, onError: () => stopFromError() });
    await transport.idle();
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(server.requests).toHaveLength(2);
    client.clear();
  });

  it('waits Retry-After on 429', async () => {
    server.answer = (_request, index) =>
      index === 0 ? problem(429, 'rate_limited', 'wait', { 'retry-after': '20' }) : tokenAnswer(3_600_000, 0, index);
    const tokens: TokenResponse[] = [];
    const client = createTokenClient({ url: server.url });
    client.watch({ room: 'a' }, { onTokens: (body) => tokens.push(body), onError: () => {} });
    await settle(1);
    await vi.advanceTimersByTimeAsync(19_999);
    expect(server.requests).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    await settle(2);
    expect(tokens).toHaveLength(1);
    client.clear();
  });

  it.each([
    [400, 'invalid_request'],
    [401, 'unauthenticated'],
    [403, 'forbidden'],
  ])('stops at %i and calls onError once', async (status, code) => {
    server.answer = () => problem(status, code, 'no');
    const errors: RoomkeyClientError[] = [];
    const client = createTokenClient({ url: server.url });
    client.watch({ room: 'a' }, { onTokens: () => {}, onError: (error) => errors.push(error) });
    await settle(1);
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(server.requests).toHaveLength(1);
    expect(errors.map((error) => [error.status, error.code])).toEqual([[status, code]]);
  });

  it('says so before a token expires when no refresh succeeds, and delivers once the server recovers', async () => {
    let failing = false;
    server.answer = (_request, index) =>
      failing ? problem(503, 'upstream_error', 'down') : tokenAnswer(120_000, 0, index);
    const events: string[] = [];
    const client = createTokenClient({ url: server.url });
    client.watch(
      { room: 'a' },
      {
        onTokens: (body) => events.push(`tokens ${body.tokens.red5pro?.token}`),
        onError: (error) => events.push(`error ${error.code} at ${Date.now() - started}`),
      },
    );
    const started = Date.now();
    await settle(1);
    failing = true;
    // Refresh 60 s before expiry, then backoff retries; the token expires 120 s after it was issued.
    for (let elapsed = 0; elapsed < 125_000; elapsed += 500) {
      await vi.advanceTimersByTimeAsync(500);
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(server.requests.length).toBeGreaterThan(3);
    expect(events[0]).toBe('tokens token-0');
    expect(events).toHaveLength(2);
    const warnedAt = Number(/^error upstream_error at (\d+)$/.exec(events[1] ?? '')?.[1]);
    expect(warnedAt).toBeLessThan(120_000);
    expect(warnedAt).toBeGreaterThan(115_000);
    failing = false;
    await vi.advanceTimersByTimeAsync(31_000);
    await settle(server.requests.length);
    expect(events.at(-1)).toMatch(/^tokens token-\d+$/);
    expect(events).toHaveLength(3);
    client.clear();
  });
});

describe('clear', () => {
  it('aborts requests in flight, stops every watch and forgets every token', async () => {
    let release: () => void = () => {};
    const hold = new Promise<void>((resolve) => {
      release = resolve;
    });
    const client = createTokenClient({ url: server.url });
    await client.get({ room: 'cached' });
    server.answer = (_request, index) => ({ ...tokenAnswer(3_600_000, 0, index), hold });
    const pending = client.get({ room: 'in-flight' });
    const watched: TokenResponse[] = [];
    const watchErrors: unknown[] = [];
    client.watch({ room: 'watched' }, { onTokens: (body) => watched.push(body), onError: (e) => watchErrors.push(e) });
    await vi.waitFor(() => expect(server.requests).toHaveLength(3));
    client.clear();
    expect(await rejection(pending)).toMatchObject({ status: 0, code: 'aborted' });
    release();
    server.answer = (_request, index) => tokenAnswer(3_600_000, 0, index);
    await client.get({ room: 'cached' });
    expect(server.requests).toHaveLength(4);
    expect(watched).toEqual([]);
    expect(watchErrors).toEqual([]);
  });
});
