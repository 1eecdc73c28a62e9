/**
 * What only the Web Fetch API adapter has: the options for what a `Request` cannot tell
 * (clientAddress, isHttps, parsedBody), the context argument, and the core's body limits on a
 * Web stream handed over by the adapter. The whole contract runs through the Fetch API variants
 * in the other files (Hono on @hono/node-server, a bare handler given real `Request`s); here,
 * handlers are called directly with real `Request` objects as Next.js, Bun and Deno call them.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener, type HttpBindings } from '@hono/node-server';
import { createTokenIssuer as createCoreIssuer, type DeniedEvent } from '@roomkey/core';
import {
  createTokenIssuer,
  type IssueTokensOptions,
  issueRed5ChatToken,
  issueRed5ConferenceToken,
  issueTokens,
} from '@roomkey/fetch';
import { type Context, Hono } from 'hono';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import { frozenClock } from './support/clock.js';
import { OPEN } from './support/grants.js';
import { API_KEYS, bearer } from './support/identity.js';
import { captureLogger } from './support/logger.js';
import { SECRET, verifyWithJose } from './support/tokens.js';

const clock = frozenClock();
const ROOM = 'room-fetch';
const encoder = new TextEncoder();

/** Identifies carol by her API key from the Request's own headers. */
const identify = (request: Request) =>
  request.headers.get('authorization') === bearer('carol') ? { id: 'carol' } : null;

/** Signing and the clock: what every handler here shares (no callbacks, so each test's own set their context type). */
const signing = { red5pro: { secret: SECRET, clock }, clock };

function options(overrides: Partial<IssueTokensOptions<Request, unknown>> = {}): IssueTokensOptions<Request, unknown> {
  return { identify, ...signing, ...overrides };
}

function post(
  body: string | ReadableStream<Uint8Array> | null,
  init: { url?: string; headers?: Record<string, string> } = {},
): Request {
  return new Request(init.url ?? 'http://localhost/tokens', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: bearer('carol'), ...init.headers },
    body,
    ...(body instanceof ReadableStream && { duplex: 'half' }),
  } as RequestInit);
}

async function problemOf(response: Response, status: number, code: string): Promise<{ detail: string }> {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  expect(response.headers.get('cache-control')).toBe('no-store');
  const body = (await response.json()) as { code: string; detail: string };
  expect(body.code).toBe(code);
  return body;
}

/** A body stream that records how much was read and whether it was cancelled. */
function recordingStream(chunk: Uint8Array, chunks: number, then: 'close' | 'stall') {
  const seen = { pulled: 0, bytes: 0, cancelled: false };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (seen.pulled === chunks) {
        if (then === 'close') controller.close();
        // 'stall': the rest never arrives (the promise never settles).
        return then === 'close' ? undefined : new Promise<void>(() => undefined);
      }
      seen.pulled++;
      seen.bytes += chunk.byteLength;
      controller.enqueue(chunk);
      return undefined;
    },
    cancel() {
      seen.cancelled = true;
    },
  });
  return { stream, seen };
}

describe('a handler called with real Request objects (Next.js route handler, Bun, Deno)', () => {
  it('answers the contract: a token jose verifies, Cache-Control no-store', async () => {
    // Next.js: `export const POST = issueTokens(…)`, called with the request and { params }.
    const POST = issueTokens(options());
    const response = await POST(post(JSON.stringify({ room: ROOM })), { params: Promise.resolve({}) });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = (await response.json()) as { tokens: { red5pro: { token: string } } };
    expect(await verifyWithJose(body.tokens.red5pro.token, clock)).toMatchObject({ sub: 'carol', 'red5-room': ROOM });
  });

  it('streams the body from the Request: a body that keeps coming is cut off at 16 KiB with 413', async () => {
    const { stream, seen } = recordingStream(encoder.encode(' '.repeat(1024)), 1000, 'stall');
    const response = await issueTokens(options())(post(stream));
    await problemOf(response, 413, 'payload_too_large');
    // Read past the limit by no more than the stream's own buffering: the rest is cancelled, not read.
    expect(seen.bytes).toBeGreaterThan(16 * 1024);
    expect(seen.bytes).toBeLessThan(64 * 1024);
    expect(seen.cancelled).toBe(true);
  });

  it('answers 408 with Connection: close when the body stops arriving, and cancels the stream', async () => {
    const { stream, seen } = recordingStream(encoder.encode('{"room":'), 1, 'stall');
    const response = await issueTokens(options({ bodyTimeoutMs: 50 }))(post(stream));
    await problemOf(response, 408, 'request_timeout');
    expect(response.headers.get('connection')).toBe('close');
    expect(seen.cancelled).toBe(true);
  });

  it('answers 400 when the streamed body is shorter than its Content-Length', async () => {
    const { stream } = recordingStream(encoder.encode(JSON.stringify({ room: ROOM })), 1, 'close');
    const request = post(stream, { headers: { 'content-length': '200' } });
    // A runtime may refuse to build such a Request; where it does, there is nothing to test.
    expect(request.headers.get('content-length')).toBe('200');
    const { detail } = await problemOf(await issueTokens(options())(request), 400, 'invalid_request');
    expect(detail).toMatch(/Content-Length/);
  });

  it('answers a Request whose body stream fails with 400, not 500', async () => {
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.error(new Error('connection reset'));
      },
    });
    await problemOf(await issueTokens(options())(post(stream)), 400, 'invalid_request');
  });

  it('answers 405 with Allow: POST for other methods, as a handler exported for them would', async () => {
    const handler = issueTokens(options());
    const response = await handler(new Request('http://localhost/tokens', { method: 'GET' }));
    await problemOf(response, 405, 'method_not_allowed');
    expect(response.headers.get('allow')).toBe('POST');
  });
});

describe('the context argument (Bun server, Deno info, Hono c)', () => {
  it('reaches identify, authorize and clientAddress: per-address failure budgets, Bun-style', async () => {
    /** Bun's `server.requestIP(request)`, which the app reads through its server object. */
    const peers = new WeakMap<Request, string>();
    const server = { requestIP: (request: Request) => ({ address: peers.get(request) ?? '', port: 5000 }) };
    const seen: unknown[] = [];
    const handler = issueTokens({
      ...signing,
      identify: (request, context: typeof server) => {
        seen.push(context);
        return identify(request);
      },
      authorize: (_args, context) => {
        seen.push(context);
        return { ...OPEN, role: 'subscriber' };
      },
      clientAddress: (request, context) => context.requestIP(request).address,
      rateLimit: { failures: { points: 1, duration: 60 } },
    });
    const from = (address: string, user: 'carol' | null) => {
      const request = post(JSON.stringify({ room: ROOM }), {
        headers: user === null ? { authorization: 'Bearer rk_test_nobody' } : {},
      });
      peers.set(request, address);
      return handler(request, server);
    };
    expect((await from('203.0.113.1', 'carol')).status).toBe(200);
    expect(seen).toEqual([server, server]);
    await problemOf(await from('203.0.113.2', null), 401, 'unauthenticated');
    await problemOf(await from('203.0.113.2', 'carol'), 429, 'rate_limited');
    // Another address has its own budget.
    expect((await from('203.0.113.3', 'carol')).status).toBe(200);
  });

  it("gives identify Hono's c, so it reads what the app's middleware set", async () => {
    type Env = { Variables: { user?: { id: string } } };
    const app = new Hono<Env>();
    app.use(async (c, next) => {
      if (c.req.header('authorization') === bearer('carol')) c.set('user', { id: 'carol-from-middleware' });
      await next();
    });
    const tokens = issueTokens({
      ...signing,
      identify: (_request, c: Context<Env>) => c.get('user') ?? null,
      authorize: ({ nativeRequest }, c) => {
        expect(nativeRequest).toBe(c.req.raw);
        return { ...OPEN, role: 'publisher' };
      },
    });
    app.all('/tokens', (c) => tokens(c.req.raw, c));
    const response = await app.request(post(JSON.stringify({ room: ROOM, role: 'publisher' })));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ identity: 'carol-from-middleware', role: 'publisher' });
    await problemOf(
      await app.request(post(JSON.stringify({ room: ROOM }), { headers: { authorization: '' } })),
      401,
      'unauthenticated',
    );
  });
});

describe('HTTPS: what isHttps says the runtime knows, never the scheme of request.url', () => {
  it('requireHttps without isHttps is refused at start-up: a client chooses the URL it sends', () => {
    expect(() => issueTokens(options({ requireHttps: true }))).toThrow(TypeError);
    expect(() => issueTokens(options({ requireHttps: true }))).toThrow(/requireHttps needs isHttps.*encrypted/);
  });

  it('an https: URL proves nothing: only isHttps decides (a plain-HTTP request sent as https://… is refused)', async () => {
    const plain = issueTokens({ ...options({ requireHttps: true }), isHttps: () => false });
    const refused = await plain(post(JSON.stringify({ room: ROOM }), { url: 'https://video.example/tokens' }));
    expect((await problemOf(refused, 403, 'forbidden')).detail).toMatch(/HTTPS/);
    const tls = issueTokens({ ...options({ requireHttps: true }), isHttps: () => true });
    expect((await tls(post(JSON.stringify({ room: ROOM }), { url: 'http://video.example/tokens' }))).status).toBe(200);
  });

  it('believes a proxy header only when isHttps reads it', async () => {
    const proxied = { url: 'http://10.0.0.5/tokens', headers: { 'x-forwarded-proto': 'https' } };
    const untrusted = issueTokens({ ...options({ requireHttps: true }), isHttps: () => false });
    await problemOf(await untrusted(post(JSON.stringify({ room: ROOM }), proxied)), 403, 'forbidden');
    const trusted = issueTokens({
      ...options({ requireHttps: true }),
      isHttps: (request) => request.headers.get('x-forwarded-proto') === 'https',
    });
    expect((await trusted(post(JSON.stringify({ room: ROOM }), proxied))).status).toBe(200);
  });
});

describe('a body the framework already read', () => {
  const servers: ReturnType<typeof createServer>[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  });

  /** Hono on @hono/node-server with a middleware that reads the JSON body before roomkey. */
  async function honoReadingFirst(overrides: Partial<IssueTokensOptions<Request, Context>> = {}) {
    const app = new Hono<{ Bindings: HttpBindings }>();
    const parsed: unknown[] = [];
    app.use(async (c, next) => {
      if (c.req.header('content-type') === 'application/json') parsed.push(await c.req.json());
      await next();
    });
    const tokens = issueTokens<Request, Context>({
      ...options(),
      authorize: ({ request }) => ({ ...OPEN, role: 'subscriber', rooms: [request.room ?? ''] }),
      ...overrides,
    });
    app.all('/tokens', (c) => tokens(c.req.raw, c));
    const server = createServer(getRequestListener(app.fetch));
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/tokens`;
    const send = (body: unknown) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: bearer('carol') },
        body: JSON.stringify(body),
      });
    return { send, parsed };
  }

  it("uses what parsedBody returns (Hono's c.req.json()) once the Request's body is used", async () => {
    let calls = 0;
    const { send, parsed } = await honoReadingFirst({
      parsedBody: (_request, c) => {
        calls++;
        return c.req.json();
      },
    });
    const response = await send({ room: ROOM, ttlMinutes: 3 });
    expect(response.status).toBe(200);
    expect(parsed).toEqual([{ room: ROOM, ttlMinutes: 3 }]);
    expect(calls).toBe(1);
    const { token } = ((await response.json()) as { tokens: { red5pro: { token: string } } }).tokens.red5pro;
    const payload = await verifyWithJose(token, clock);
    expect((payload.exp as number) - (payload.iat as number)).toBe(180);
    // The parsed body is checked like any other: an unknown field is still 400.
    await problemOf(await send({ room: ROOM, admin: true }), 400, 'invalid_request');
  });

  it('does not call parsedBody for a body nobody read', async () => {
    let calls = 0;
    const handler = issueTokens({
      ...options(),
      parsedBody: () => {
        calls++;
        return { room: 'not-this-one' };
      },
    });
    const response = await handler(post(JSON.stringify({ room: ROOM })));
    expect(((await response.json()) as { tokens: { red5pro: { token: string } } }).tokens.red5pro).toBeDefined();
    expect(calls).toBe(0);
  });

  it('malformed JSON that the framework read first is 400 invalid_request, not a 500 (parsedBody rejected)', async () => {
    // A framework that read the body first and parses what it kept, as Hono's c.req.json() does.
    const kept = new WeakMap<Request, string>();
    const handler = issueTokens({ ...options(), parsedBody: (request) => JSON.parse(kept.get(request) ?? '') });
    for (const text of ['{"room":', '']) {
      const request = post(text);
      kept.set(request, await request.text());
      const problem = await problemOf(await handler(request), 400, 'invalid_request');
      expect(problem.detail).toBe('The request body is not valid JSON.');
    }
  });

  it('without parsedBody, a used body is a logged 500 that never issues a token', async () => {
    const logged = captureLogger();
    const { send } = await honoReadingFirst({ logger: logged.logger });
    const response = await send({ room: ROOM });
    await problemOf(response, 500, 'internal_error');
    expect(logged.text()).toMatch(/read before roomkey.*parsedBody option/);
  });
});

describe('options are checked when the handler is made', () => {
  it('refuses rateLimit.failures without clientAddress: every client would share one budget', () => {
    const failures = { points: 5, duration: 60 };
    expect(() => issueTokens(options({ rateLimit: { failures } }))).toThrow(TypeError);
    expect(() => issueTokens(options({ rateLimit: { failures } }))).toThrow(/set clientAddress.*requestIP/);
    expect(() => createTokenIssuer(options({ rateLimit: { failures } }))).toThrow(/clientAddress/);
    expect(typeof issueTokens({ ...options({ rateLimit: { failures } }), clientAddress: () => '203.0.113.1' })).toBe(
      'function',
    );
    // Tokens per identity need no address.
    expect(typeof issueTokens(options({ rateLimit: { issued: failures } }))).toBe('function');
  });

  it.each(['clientAddress', 'isHttps', 'parsedBody'])('refuses a %s that is not a function', (name) => {
    expect(() => issueTokens({ ...options(), [name]: 'x-forwarded-for' })).toThrow(
      new RegExp(`${name} must be a function`),
    );
  });

  it("refuses misspelt options through the core's check", () => {
    expect(() => issueTokens({ ...options(), clientAdress: () => '' } as never)).toThrow(
      /unknown option "clientAdress"/,
    );
    expect(() => issueTokens({ ...options(), authorise: () => false } as never)).toThrow(/did you mean "authorize"/);
  });

  it("refuses an issuer from another package's createTokenIssuer: it knows no clientAddress", () => {
    const foreign = createCoreIssuer({ identify, red5pro: { secret: SECRET } });
    expect(() => issueTokens(foreign)).toThrow(/createTokenIssuer from @roomkey\/fetch/);
  });

  it('refuses the Red5 SDK routes on an issuer without Red5 Cloud', () => {
    const issuer = createTokenIssuer(options());
    expect(() => issueRed5ChatToken(issuer)).toThrow(/"chat" token: configure Red5 Cloud credentials/);
    expect(() => issueRed5ConferenceToken(options())).toThrow(/"conference" token: configure Red5 Cloud credentials/);
  });

  it('answers 500, logged, when clientAddress returns something other than a string (Bun: requestIP() itself)', async () => {
    const logged = captureLogger();
    const denied: DeniedEvent[] = [];
    const handler = issueTokens({
      ...options({ logger: logged.logger, onDenied: (event) => void denied.push(event) }),
      clientAddress: () => ({ address: '203.0.113.9', port: 5000 }) as unknown as string,
      rateLimit: { failures: { points: 5, duration: 60 } },
    });
    await problemOf(await handler(post(JSON.stringify({ room: ROOM }))), 500, 'internal_error');
    expect(logged.text()).toMatch(/clientAddress must return a string/);
    expect(logged.text()).not.toContain(API_KEYS.carol);
  });
});

describe('types users get without annotations (checked by pnpm typecheck, run for real)', () => {
  it('a Request subclass (Next.js NextRequest) flows to identify and to the handler; context is optional by default', async () => {
    /** As Next.js's NextRequest adds `cookies` to Request. */
    class AppRequest extends Request {
      get session(): string | undefined {
        return this.headers.get('cookie')?.match(/session=(\w+)/)?.[1];
      }
    }
    const POST = issueTokens({
      ...signing,
      identify: (request: AppRequest) => (request.session ? { id: request.session } : null),
      authorize: ({ nativeRequest }) => {
        expectTypeOf(nativeRequest).toEqualTypeOf<AppRequest>();
        return { ...OPEN, role: 'subscriber' };
      },
    });
    expectTypeOf(POST).parameter(0).toEqualTypeOf<AppRequest>();
    const response = await POST(
      new AppRequest(post(JSON.stringify({ room: ROOM }), { headers: { cookie: 'session=dana' } })),
    );
    expect(await response.json()).toMatchObject({ identity: 'dana' });
  });

  it("the context type written on the first callback types the others, and the handler's context", async () => {
    interface Server {
      requestIP(request: Request): { address: string } | null;
    }
    const server: Server = { requestIP: () => ({ address: '198.51.100.7' }) };
    const handler = issueTokens({
      ...signing,
      // TypeScript infers from callbacks in order: the first one that takes the context names its type.
      identify: (request, _context: Server) => identify(request),
      clientAddress: (request, context) => {
        expectTypeOf(context).toEqualTypeOf<Server>();
        return context.requestIP(request)?.address;
      },
      rateLimit: { failures: { points: 3, duration: 60 } },
    });
    expectTypeOf(handler).parameter(1).toEqualTypeOf<Server>();
    // @ts-expect-error the context is required once its type is one that cannot be undefined
    const withoutContext = () => handler(post(JSON.stringify({ room: ROOM })));
    expect(withoutContext).toBeTypeOf('function');
    expect((await handler(post(JSON.stringify({ room: ROOM })), server)).status).toBe(200);
  });
});
