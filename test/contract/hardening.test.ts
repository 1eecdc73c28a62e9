import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer as createHttpServer, request as httpRequest, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { type AddressInfo, connect, createServer as createNetServer } from 'node:net';
import { type DeniedEvent, HttpProblem, type TokenPlatform } from '@roomkey/core';
import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import { generate } from 'selfsigned';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ContractOptions, createApp, MODES, type Mode, VARIANTS, type Variant } from './apps.js';
import { frozenClock } from './support/clock.js';
import { OPEN } from './support/grants.js';
import { type Agent, expectProblem, expectTokenResponse, postJson } from './support/http.js';
import { bearer } from './support/identity.js';
import { captureLogger } from './support/logger.js';
import { baseOptions } from './support/options.js';

const ROOM = 'room-hardening';
const clock = frozenClock();

function agentFor(mode: Pick<Mode, 'variant' | 'bodyParser'>, overrides: Partial<ContractOptions>, trustProxy = false) {
  const options = baseOptions(mode.variant, clock, overrides);
  return request(createApp(mode.variant, options, { bodyParser: mode.bodyParser, trustProxy }).target);
}

const from = (test: ReturnType<typeof postJson>, address: string) => test.set('x-forwarded-for', address);

/**
 * POSTs a JSON body anonymously from `address` (through X-Forwarded-For), its first half at
 * once and the rest after `delayMs`: a guess that holds its connection open. Resolves the status.
 */
function slowPost(port: number, body: string, address: string, delayMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        port,
        host: '127.0.0.1',
        // A connection of its own for each guess: the default agent may queue them.
        agent: false,
        method: 'POST',
        path: '/tokens',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'x-forwarded-for': address,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    const half = Math.floor(body.length / 2);
    req.write(body.slice(0, half));
    setTimeout(() => req.end(body.slice(half)), delayMs);
  });
}

describe.each(MODES)('requireHttps through $label', (mode) => {
  it('refuses plain HTTP with a 403 problem, never a redirect, and audits it', async () => {
    const denied: DeniedEvent[] = [];
    const agent = agentFor(mode, { requireHttps: true, onDenied: (event) => void denied.push(event) });
    const res = await postJson(agent, { room: ROOM });
    const problem = expectProblem(res, 403, 'forbidden');
    expect(problem.detail).toMatch(/HTTPS/);
    expect(res.headers.location).toBeUndefined();
    expect(denied).toEqual([expect.objectContaining({ status: 403, code: 'forbidden' })]);
  });

  it('accepts HTTPS as reported by a trusted proxy, and only a trusted one', async () => {
    const trusted = agentFor(mode, { requireHttps: true }, true);
    expectTokenResponse(await postJson(trusted, { room: ROOM }).set('x-forwarded-proto', 'https'));
    expectProblem(await postJson(trusted, { room: ROOM }).set('x-forwarded-proto', 'http'), 403, 'forbidden');
    const untrusted = agentFor(mode, { requireHttps: true }, false);
    expectProblem(await postJson(untrusted, { room: ROOM }).set('x-forwarded-proto', 'https'), 403, 'forbidden');
  });
});

describe.each(VARIANTS)('requireHttps over real TLS through $name', (variant) => {
  let server: Server;
  let cert: string;
  beforeAll(async () => {
    const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
      keyType: 'ec',
      notAfterDate: new Date(Date.now() + 86_400_000),
    });
    cert = pems.cert;
    const { target } = createApp(variant, baseOptions(variant, clock, { requireHttps: true }));
    server = createHttpsServer({ key: pems.private, cert }, target as Parameters<typeof createHttpsServer>[1]);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('issues tokens to a request that arrived over TLS', async () => {
    const { port } = server.address() as AddressInfo;
    const res = await postJson(request(`https://localhost:${port}`) as unknown as Agent, { room: ROOM }).ca(cert);
    expectTokenResponse(res);
  });
});

describe('requireHttps option', () => {
  it('must be true or false', () => {
    const variant = VARIANTS[0] as Variant;
    expect(() => variant.issueTokens(baseOptions(variant, clock, { requireHttps: 'yes' as never }))).toThrow(
      /requireHttps must be true or false/,
    );
  });
});

/** A raw HTTP/1.1 client for bodies that never finish. */
function openRequest(port: number, head: string) {
  const socket = connect(port, '127.0.0.1');
  let received = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk) => {
    received += chunk;
  });
  const closed = once(socket, 'close');
  socket.write(head);
  return { socket, closed, received: () => received };
}

const headers = (extra: string) =>
  `POST /tokens HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nAuthorization: ${bearer('carol')}\r\n${extra}\r\n`;

describe.each(VARIANTS)('slow and abandoned bodies through $name', (variant) => {
  let server: Server;
  let port: number;
  const denied: DeniedEvent[] = [];
  beforeAll(async () => {
    const options = baseOptions(variant, clock, { bodyTimeoutMs: 300, onDenied: (event) => void denied.push(event) });
    server = createHttpServer(createApp(variant, options).target as Parameters<typeof createHttpServer>[1]);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('answers a body that stops arriving with 408 and closes the connection', async () => {
    const client = openRequest(port, `${headers('Content-Length: 40\r\n')}{"room":`);
    await client.closed;
    const [head = '', body = ''] = client.received().split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 408 /);
    expect(head).toMatch(/\r\nconnection: close/i);
    expect(head).toMatch(/\r\ncontent-type: application\/problem\+json/i);
    expect(JSON.parse(body)).toMatchObject({ status: 408, code: 'request_timeout' });
  });

  it('answers a chunked body that trickles on forever with 408', async () => {
    const client = openRequest(port, `${headers('Transfer-Encoding: chunked\r\n')}1\r\n \r\n`);
    const drip = setInterval(() => client.socket.writable && client.socket.write('1\r\n \r\n'), 50);
    try {
      await client.closed;
    } finally {
      clearInterval(drip);
    }
    expect(client.received()).toMatch(/^HTTP\/1\.1 408 /);
    expect(client.received()).toContain('"code":"request_timeout"');
  });

  it('lets go of a client that disconnects mid-body, and keeps serving', async () => {
    const timersBefore = process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
    const seen = denied.length;
    const client = openRequest(port, `${headers('Content-Length: 40\r\n')}{"room":`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    client.socket.destroy();
    await client.closed;
    await expect.poll(() => denied.length, { timeout: 2000 }).toBeGreaterThan(seen);
    expect(denied.at(-1)).toMatchObject({ status: 400, code: 'invalid_request' });
    // The body timer went with the request: nothing fires later, no connection is left open.
    await expect
      .poll(() => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length, { timeout: 2000 })
      .toBeLessThanOrEqual(timersBefore);
    await expect.poll(() => new Promise((resolve) => server.getConnections((_, count) => resolve(count)))).toBe(0);
    const count = denied.length;
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(denied.length).toBe(count);
    expectTokenResponse(await postJson(request(server), { room: ROOM }));
  });
});

describe('bodyTimeoutMs option', () => {
  it.each([0, -1, 1.5, 300_001, '10'])('refuses %s', (value) => {
    const variant = VARIANTS[0] as Variant;
    expect(() => variant.issueTokens(baseOptions(variant, clock, { bodyTimeoutMs: value as never }))).toThrow(
      /bodyTimeoutMs must be a whole number/,
    );
  });
});

/** A second platform, addressed by `channel`, so that one request can ask for two tokens. */
const chatPlatform: TokenPlatform = {
  tokenName: 'chat',
  addressedBy: 'channel',
  maxTtlSeconds: 3600,
  async issue(input) {
    return { token: `chat-${input.identity.id}`, expiresAt: new Date(clock.now() + input.ttlSeconds * 1000) };
  },
};

function expectRateLimited(res: Parameters<typeof expectProblem>[0], maxSeconds: number) {
  expectProblem(res, 429, 'rate_limited');
  const retryAfter = Number(res.headers['retry-after']);
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(maxSeconds);
}

describe.each(MODES)('rate limits (in memory) through $label', (mode) => {
  it('limits tokens per identity: 429 with Retry-After, audited, other users unaffected', async () => {
    const denied: DeniedEvent[] = [];
    const agent = agentFor(mode, {
      rateLimit: { issued: { points: 3, duration: 60 } },
      platforms: [chatPlatform],
      authorize: () => ({ ...OPEN, role: 'subscriber' }),
      onDenied: (event) => void denied.push(event),
    });
    expectTokenResponse(await postJson(agent, { room: ROOM }));
    // Two tokens in one request count two.
    expect((await postJson(agent, { room: ROOM, channel: 'lobby' })).status).toBe(200);
    expectRateLimited(await postJson(agent, { room: ROOM }), 60);
    expect(denied).toEqual([expect.objectContaining({ status: 429, code: 'rate_limited', userId: 'carol' })]);
    expectTokenResponse(await postJson(agent, { room: ROOM }, 'dave'));
  });

  it('limits failed attempts (401, 403) per client address; other addresses and 400s are not counted', async () => {
    const agent = agentFor(mode, { rateLimit: { failures: { points: 3, duration: 60 } } }, true);
    const attacker = '203.0.113.7';
    // A 400 is a malformed request, not an attempt on anyone's account.
    for (let index = 0; index < 4; index++) {
      expectProblem(await from(postJson(agent, { room: 'not a room' }), attacker), 400, 'invalid_request');
    }
    expectProblem(await from(postJson(agent, { room: ROOM }, null), attacker), 401, 'unauthenticated');
    expectProblem(await from(postJson(agent, { room: ROOM, role: 'moderator' }), attacker), 403, 'forbidden');
    expectProblem(await from(postJson(agent, { room: ROOM }, null), attacker), 401, 'unauthenticated');
    // Spent: even a valid request from that address waits, without reaching identify.
    expectRateLimited(await from(postJson(agent, { room: ROOM }), attacker), 60);
    expectTokenResponse(await from(postJson(agent, { room: ROOM }), '203.0.113.8'));
  });

  it('40 concurrent guesses against a budget of 3 with a slow identify: 3 tried, 37 refused with 429 (were all 401)', async () => {
    const slowIdentify = baseOptions(mode.variant, clock).identify;
    const agent = agentFor(
      mode,
      {
        rateLimit: { failures: { points: 3, duration: 60 } },
        identify: async (native: unknown) => {
          await new Promise((resolve) => setTimeout(resolve, 20));
          return slowIdentify(native);
        },
      },
      true,
    );
    const attacker = '203.0.113.40';
    const guesses = await Promise.all(
      Array.from({ length: 40 }, () => from(postJson(agent, { room: ROOM }, null), attacker)),
    );
    const statuses = guesses.map((res) => res.status).sort();
    expect(statuses.filter((status) => status === 401)).toHaveLength(3);
    expect(statuses.filter((status) => status === 429)).toHaveLength(37);
    // Successes give their point back: a real user from another address is unaffected.
    expectTokenResponse(await from(postJson(agent, { room: ROOM }), '203.0.113.41'));
  });

  it('slow-body guesses cannot outrun the budget either: each holds a point while its body arrives', async () => {
    const built = createApp(
      mode.variant,
      baseOptions(mode.variant, clock, { rateLimit: { failures: { points: 3, duration: 60 } } }),
      { bodyParser: mode.bodyParser, trustProxy: true },
    );
    const server = createHttpServer(built.target as Parameters<typeof createHttpServer>[1]);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const body = JSON.stringify({ room: ROOM });
      const statuses = await Promise.all(Array.from({ length: 30 }, () => slowPost(port, body, '203.0.113.50', 100)));
      expect(statuses.filter((status) => status === 401)).toHaveLength(3);
      expect(statuses.filter((status) => status === 429)).toHaveLength(27);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('a burst of valid requests beyond the budget is refused while it waits, and leaves no lockout behind', async () => {
    const realIdentify = baseOptions(mode.variant, clock).identify;
    // identify holds every request it gets until each of the 20 is either held there or refused:
    // the burst is truly concurrent however slowly a loaded machine delivers it (a fixed 30 ms
    // wait let early requests finish, and give their points back, before the last ones arrived).
    const BURST = 20;
    let held = 0;
    let refused = 0;
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const settle = () => {
      if (held + refused === BURST) release();
    };
    const agent = agentFor(
      mode,
      {
        rateLimit: { failures: { points: 5, duration: 60 } },
        identify: async (native: unknown) => {
          held++;
          settle();
          await released;
          return realIdentify(native);
        },
      },
      true,
    );
    const backend = '203.0.113.60';
    const burst = await Promise.all(
      Array.from({ length: BURST }, () =>
        from(postJson(agent, { room: ROOM }), backend).then((res) => {
          if (res.status === 429) {
            refused++;
            settle();
          }
          return res;
        }),
      ),
    );
    const statuses = burst.map((res) => res.status);
    // points also caps how many requests one address may have waiting for identify at once.
    expect(statuses.filter((status) => status === 200)).toHaveLength(5);
    expect(statuses.filter((status) => status === 429)).toHaveLength(15);
    // Every point came back: the refused 429s cost nothing, the tokens gave theirs back.
    await new Promise((resolve) => setTimeout(resolve, 20));
    for (let index = 0; index < 6; index++) {
      expectTokenResponse(await from(postJson(agent, { room: ROOM }), backend));
    }
  });

  it('an identify that throws on a forged credential spends the budget like a 401 (was refunded)', async () => {
    const agent = agentFor(
      mode,
      {
        rateLimit: { failures: { points: 3, duration: 60 } },
        identify: () => {
          throw new Error('invalid signature');
        },
        logger: captureLogger().logger,
      },
      true,
    );
    const attacker = '203.0.113.70';
    const guesses: number[] = [];
    for (let index = 0; index < 6; index++)
      guesses.push((await from(postJson(agent, { room: ROOM }), attacker)).status);
    expect(guesses).toEqual([500, 500, 500, 429, 429, 429]);
  });

  it.each([
    [
      'gives the point back for a request identify refuses as malformed (400): a client mistake, not a guess',
      new HttpProblem('invalid_request', 'Name the user in the Roomkey-User header.'),
      [400, 400, 400, 400, 400],
    ],
    [
      'keeps the point for any other refusal identify throws: a 404 "no such user" is a guess too',
      new HttpProblem('not_found', 'No such account.'),
      [404, 404, 429, 429, 429],
    ],
  ] as const)('%s', async (_name, problem, expected) => {
    const agent = agentFor(
      mode,
      {
        rateLimit: { failures: { points: 2, duration: 60 } },
        identify: () => {
          throw problem;
        },
      },
      true,
    );
    const client = `203.0.113.${problem.status - 320}`;
    const statuses: number[] = [];
    for (let index = 0; index < 5; index++) statuses.push((await from(postJson(agent, { room: ROOM }), client)).status);
    expect(statuses).toEqual(expected);
  });

  it('counts an IPv6 client by its /64: a fresh address in the same /64 is the same client', async () => {
    const agent = agentFor(mode, { rateLimit: { failures: { points: 2, duration: 60 } } }, true);
    expectProblem(await from(postJson(agent, { room: ROOM }, null), '2001:db8:7:1::1'), 401, 'unauthenticated');
    expectProblem(await from(postJson(agent, { room: ROOM }, null), '2001:db8:7:1:ffff::2'), 401, 'unauthenticated');
    expectRateLimited(await from(postJson(agent, { room: ROOM }), '2001:db8:7:1:abcd:1234:5678:9'), 60);
    expectTokenResponse(await from(postJson(agent, { room: ROOM }), '2001:db8:7:2::1'));
  });

  it('takes a rate-limiter-flexible limiter as it is', async () => {
    const limiter = new RateLimiterMemory({ points: 1, duration: 30, keyPrefix: `test-${mode.label}` });
    const agent = agentFor(mode, { rateLimit: { issued: limiter } });
    expectTokenResponse(await postJson(agent, { room: ROOM }, 'erin'));
    expectRateLimited(await postJson(agent, { room: ROOM }, 'erin'), 30);
    expect((await limiter.get('erin'))?.consumedPoints).toBe(2);
  });
});

const tokensInBody = (text: string) => text.match(/eyJ[\w-]+\.[\w-]+\.[\w-]+/g) ?? [];

describe('rateLimit option', () => {
  const variant = VARIANTS[0] as Variant;
  it.each([
    ['a timeoutMs of 0', { issued: { points: 5, duration: 60 }, timeoutMs: 0 }, /rateLimit.timeoutMs/],
    [
      'a limiter without reward()',
      { failures: { points: 5, consume: async () => ({}) } },
      /rateLimit.failures: the limiter has no reward/,
    ],
    ['not an object', 5, /rateLimit must be an object/],
    ['empty', {}, /rateLimit needs issued, failures or both/],
    ['zero points', { issued: { points: 0, duration: 60 } }, /rateLimit.issued: points and duration/],
    ['fractional duration', { failures: { points: 5, duration: 0.5 } }, /rateLimit.failures: points and duration/],
    ['bad blockDuration', { failures: { points: 5, duration: 60, blockDuration: -1 } }, /blockDuration/],
    ['not a limiter', { issued: 'redis://localhost' }, /rateLimit.issued must be a rate-limiter-flexible limiter/],
  ])('refuses %s at start-up', (_name, rateLimit, message) => {
    expect(() => variant.issueTokens(baseOptions(variant, clock, { rateLimit: rateLimit as never }))).toThrow(message);
  });
});

/** A free loopback port for redis-server. */
async function freePort(): Promise<number> {
  const server = createNetServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Resolves once something accepts connections on the port; rejects if the process exits first. */
async function listening(port: number, child: ChildProcess): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
    const accepted = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.end();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (accepted) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('redis-server did not start listening within 5 s');
}

describe('rate limits shared by two instances through Redis', () => {
  let redisServer: ChildProcess;
  let port: number;
  const clients: Redis[] = [];
  const express = VARIANTS.find((variant) => variant.name === 'express5') as Variant;
  const koa = VARIANTS.find((variant) => variant.name === 'koa3') as Variant;

  beforeAll(async () => {
    port = await freePort();
    // No persistence: a scratch server on 127.0.0.1 that dies with the test.
    redisServer = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdio: 'ignore',
      },
    );
    await listening(port, redisServer);
    const probe = new Redis({ port, host: '127.0.0.1' });
    clients.push(probe);
    expect(await probe.ping()).toBe('PONG');
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.quit().catch(() => client.disconnect())));
    redisServer.kill('SIGTERM');
    if (redisServer.exitCode === null) await once(redisServer, 'exit');
  });

  /** One app instance: its own Redis connection and limiter objects, the shared store. */
  function instance(variant: Variant, keyPrefix: string, window: { issued?: number; failures?: number }) {
    const client = new Redis({ port, host: '127.0.0.1' });
    clients.push(client);
    const limiter = (name: string, points: number) =>
      new RateLimiterRedis({ storeClient: client, keyPrefix: `${keyPrefix}-${name}`, points, duration: 60 });
    const rateLimit = {
      ...(window.issued !== undefined && { issued: limiter('issued', window.issued) }),
      ...(window.failures !== undefined && { failures: limiter('failures', window.failures) }),
    };
    return agentFor({ variant, bodyParser: false }, { rateLimit }, true);
  }

  it('two instances (Express and Koa) spend one budget of tokens per identity', async () => {
    const prefix = `issued-${Date.now()}`;
    const [a, b] = [instance(express, prefix, { issued: 3 }), instance(koa, prefix, { issued: 3 })];
    expectTokenResponse(await postJson(a, { room: ROOM }));
    expectTokenResponse(await postJson(b, { room: ROOM }));
    expectTokenResponse(await postJson(a, { room: ROOM }));
    expectRateLimited(await postJson(b, { room: ROOM }), 60);
    expectRateLimited(await postJson(a, { room: ROOM }), 60);
    expectTokenResponse(await postJson(b, { room: ROOM }, 'dave'));
  });

  it('two instances share the failed-attempt budget of an address', async () => {
    const prefix = `failures-${Date.now()}`;
    const [a, b] = [instance(express, prefix, { failures: 2 }), instance(koa, prefix, { failures: 2 })];
    const attacker = '198.51.100.9';
    expectProblem(await from(postJson(a, { room: ROOM }, null), attacker), 401, 'unauthenticated');
    expectProblem(await from(postJson(b, { room: ROOM }, null), attacker), 401, 'unauthenticated');
    expectRateLimited(await from(postJson(a, { room: ROOM }), attacker), 60);
    expectRateLimited(await from(postJson(b, { room: ROOM }), attacker), 60);
  });

  it('40 concurrent guesses spread over two instances spend one budget of 2 (were all 401)', async () => {
    const prefix = `concurrent-${Date.now()}`;
    const [a, b] = [instance(express, prefix, { failures: 2 }), instance(koa, prefix, { failures: 2 })];
    const attacker = '198.51.100.40';
    const guesses = await Promise.all(
      Array.from({ length: 40 }, (_, index) => from(postJson(index % 2 ? a : b, { room: ROOM }, null), attacker)),
    );
    const statuses = guesses.map((res) => res.status);
    expect(statuses.filter((status) => status === 401)).toHaveLength(2);
    expect(statuses.filter((status) => status === 429)).toHaveLength(38);
  });

  it('the README client configuration: an unreachable store fails fast with 503 and Retry-After, logged', async () => {
    const deadPort = await freePort();
    const client = new Redis({ port: deadPort, host: '127.0.0.1', enableOfflineQueue: false, lazyConnect: true });
    client.on('error', () => undefined); // the refused connection is the point of this test
    clients.push(client);
    const captured = captureLogger();
    const rateLimit = { issued: new RateLimiterRedis({ storeClient: client, points: 5, duration: 60 }) };
    const agent = agentFor({ variant: express, bodyParser: false }, { rateLimit, logger: captured.logger });
    const res = await postJson(agent, { room: ROOM });
    expectProblem(res, 503, 'service_unavailable');
    expect(res.headers['retry-after']).toBe('5');
    expect(captured.text()).toContain('the rate limiter failed or timed out');
  });

  it.each(VARIANTS)(
    "ioredis's defaults (commands queued while offline): $name answers 503 within rateLimit.timeoutMs (held ~73 s before)",
    async (variant) => {
      const deadPort = await freePort();
      const client = new Redis({ port: deadPort, host: '127.0.0.1' });
      client.on('error', () => undefined);
      try {
        const rateLimit = {
          failures: new RateLimiterRedis({ storeClient: client, points: 5, duration: 60 }),
          timeoutMs: 200,
        };
        const agent = agentFor({ variant, bodyParser: false }, { rateLimit });
        const res = await postJson(agent, { room: ROOM });
        expectProblem(res, 503, 'service_unavailable');
        expect(tokensInBody(res.text)).toEqual([]);
      } finally {
        client.disconnect();
      }
    },
  );
});
