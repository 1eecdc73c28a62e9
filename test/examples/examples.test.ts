import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSecret, verifyRed5ProToken } from '@roomkey/core';
import { decodeJwt, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Framework, type RunningExample, runFailingExample, startExample } from './run-example.js';

const secret = generateSecret();
const frameworks: Framework[] = ['express', 'koa', 'fastify', 'hono'];
const servers = new Map<Framework, RunningExample>();

beforeAll(async () => {
  for (const framework of frameworks) {
    servers.set(
      framework,
      await startExample(framework, { RED5PRO_JWT_SECRET: secret, RED5PRO_JWT_ISSUER: 'roomkey-test' }),
    );
  }
});
afterAll(async () => {
  await Promise.all([...servers.values()].map((server) => server.stop()));
});

interface Call {
  readonly method?: string;
  readonly path?: string;
  readonly user?: string;
  readonly contentType?: string;
  readonly body?: string;
}

async function call(
  framework: Framework,
  { method = 'POST', path = '/tokens', user, contentType = 'application/json', body }: Call,
) {
  const headers: Record<string, string> = { 'content-type': contentType };
  if (user) headers.authorization = `Bearer ${user}`;
  const server = servers.get(framework);
  if (!server) throw new Error(`${framework} example is not running`);
  const response = await fetch(`${server.url}${path}`, { method, headers, ...(body !== undefined && { body }) });
  return {
    status: response.status,
    headers: Object.fromEntries(
      ['content-type', 'cache-control', 'allow', 'www-authenticate'].map((name) => [name, response.headers.get(name)]),
    ),
    body: await response.text(),
  };
}

/** Both servers answer with fresh tokens: compare everything but the token and its exact expiry. */
function normalise(response: Awaited<ReturnType<typeof call>>) {
  const json = JSON.parse(response.body);
  if (json.tokens?.red5pro) {
    const claims = decodeJwt(json.tokens.red5pro.token);
    json.tokens.red5pro = { sub: claims.sub, roles: claims.roles, room: claims['red5-room'], iss: claims.iss };
  }
  return { ...response, body: json };
}

const requests = {
  'carol subscribes without naming a role': { user: 'demo-carol', body: '{"room":"room-abc"}' },
  'bob publishes over WHIP': { user: 'demo-bob', body: '{"room":"room-abc","role":"publisher","transports":["whip"]}' },
  'bob may not moderate': { user: 'demo-bob', body: '{"room":"room-abc","role":"moderator"}' },
  'alice moderates': { user: 'alice-is-not-a-token', body: '{"room":"room-abc"}' },
  'alice as moderator': { user: 'demo-alice', body: '{"room":"stage.1","role":"moderator","ttlMinutes":5}' },
  'carol may not publish-only': { user: 'demo-carol', body: '{"room":"room-abc","role":"publisher-only"}' },
  'no credentials': { body: '{"room":"room-abc"}' },
  'a room with a comma': { user: 'demo-bob', body: '{"room":"a,b"}' },
  'an unknown field': { user: 'demo-bob', body: '{"room":"a","admin":true}' },
  'not JSON': { user: 'demo-bob', body: '{"room":' },
  'a form body': { user: 'demo-bob', contentType: 'application/x-www-form-urlencoded', body: 'room=a' },
  'a GET': { method: 'GET', user: 'demo-bob' },
  'an oversize body': { user: 'demo-bob', body: JSON.stringify({ room: 'a', pad: 'x'.repeat(17_000) }) },
  'an unknown route': { path: '/nope', user: 'demo-bob', body: '{}' },
} satisfies Record<string, Call>;

describe('the Express, Koa, Fastify and Hono example servers', () => {
  it.each(Object.entries(requests))('answer identically: %s', async (_name, request) => {
    const [express, ...others] = await Promise.all(frameworks.map((framework) => call(framework, request)));
    if (express === undefined) throw new Error('no example answered');
    for (const other of others) expect(normalise(other)).toEqual(normalise(express));
    expect(express.headers['cache-control']).toBe('no-store');
  });

  it('issue tokens whose subject is the demo user and whose role is the requested one', async () => {
    for (const framework of frameworks) {
      const response = await call(framework, requests['bob publishes over WHIP']);
      expect(response.status).toBe(200);
      const { identity, role, tokens } = JSON.parse(response.body);
      expect({ identity, role }).toEqual({ identity: 'bob', role: 'publisher' });
      const { payload } = await jwtVerify(tokens.red5pro.token, new TextEncoder().encode(secret), {
        algorithms: ['HS256'],
        issuer: 'roomkey-test',
      });
      expect(payload).toMatchObject({
        sub: 'bob',
        roles: 'red5-publisher,red5-subscriber',
        'red5-transport': 'WHIP',
        'red5-room': 'room-abc',
      });
      await expect(
        verifyRed5ProToken(tokens.red5pro.token, {
          secret,
          ttlMinutes: 60,
          require: { role: 'publisher', room: 'room-abc' },
        }),
      ).resolves.toMatchObject({ subject: 'bob' });
    }
  });

  it('give each demo user their highest role when the request names none', async () => {
    for (const framework of frameworks) {
      const roles = await Promise.all(
        ['demo-alice', 'demo-bob', 'demo-carol'].map(async (user) => {
          const response = await call(framework, { user, body: '{"room":"room-abc"}' });
          return JSON.parse(response.body).role;
        }),
      );
      expect(roles).toEqual(['moderator', 'publisher', 'subscriber']);
    }
  });

  it('refuse other credentials with 401 and a challenge', async () => {
    for (const framework of frameworks) {
      const response = await call(framework, { user: 'demo-mallory', body: '{"room":"room-abc"}' });
      expect(response.status).toBe(401);
      expect(response.headers['www-authenticate']).toMatch(/^Bearer /);
      expect(JSON.parse(response.body).code).toBe('unauthenticated');
    }
  });

  it('print the URL and a curl line that fetches a token', () => {
    for (const framework of frameworks) {
      const output = servers.get(framework)?.output() ?? '';
      expect(output).toContain(`listening on ${servers.get(framework)?.url}`);
      expect(output).toMatch(/curl -s -X POST http:\/\/127\.0\.0\.1:\d+\/tokens -H 'Authorization: Bearer demo-bob'/);
      expect(output).not.toContain(secret);
    }
  });

  it('never log a token or the secret', async () => {
    const tokens: string[] = [];
    for (const framework of frameworks) {
      const response = await call(framework, requests['alice as moderator']);
      tokens.push(JSON.parse(response.body).tokens.red5pro.token);
    }
    for (const framework of frameworks) {
      const output = servers.get(framework)?.output() ?? '';
      expect(output).toContain('roomkey.issued');
      for (const token of tokens) expect(output).not.toContain(token);
      expect(output).not.toContain(secret);
      expect(output).not.toContain('Bearer demo-alice');
    }
  });
});

describe('the embedded default secret', () => {
  it.each(frameworks)(
    '%s: generates an owner-only secret file, says so, and keeps it across restarts',
    async (framework) => {
      const file = join(mkdtempSync(join(tmpdir(), 'roomkey-example-')), 'nested', 'dev-secret');
      const first = await startExample(framework, { ROOMKEY_DEV_SECRET_FILE: file });
      const firstOutput = first.output();
      await first.stop();
      const devSecret = readFileSync(file, 'utf8').trim();
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(Buffer.byteLength(devSecret)).toBeGreaterThanOrEqual(32);
      expect(firstOutput).toContain('RED5PRO_JWT_SECRET is not set');
      expect(firstOutput).toContain(file);
      expect(firstOutput).not.toContain(devSecret);

      const second = await startExample(framework, { ROOMKEY_DEV_SECRET_FILE: file });
      try {
        const response = await fetch(`${second.url}/tokens`, {
          method: 'POST',
          headers: { authorization: 'Bearer demo-carol', 'content-type': 'application/json' },
          body: '{"room":"room-abc"}',
        });
        const { tokens } = (await response.json()) as { tokens: { red5pro: { token: string } } };
        await expect(verifyRed5ProToken(tokens.red5pro.token, { secret: devSecret })).resolves.toMatchObject({
          subject: 'carol',
        });
      } finally {
        await second.stop();
      }
    },
  );

  it('lives in a git-ignored folder by default', () => {
    expect(() => execFileSync('git', ['check-ignore', '-q', '.roomkey/red5pro-dev-secret'])).not.toThrow();
  });
});

describe('configuration mistakes stop the examples at start-up', () => {
  it.each(frameworks)('%s: refuses to generate a secret when NODE_ENV=production', async (framework) => {
    const { code, output } = await runFailingExample(framework, { NODE_ENV: 'production' });
    expect(code).toBe(1);
    expect(output).toContain('RED5PRO_JWT_SECRET is not set');
    expect(output).not.toContain('listening');
  });

  it.each(frameworks)('%s: names the variable to fix for a weak secret, without echoing it', async (framework) => {
    const weak = 'short-but-secret';
    const { code, output } = await runFailingExample(framework, { RED5PRO_JWT_SECRET: weak });
    expect(code).toBe(1);
    expect(output).toContain('RED5PRO_JWT_SECRET');
    expect(output).toMatch(/at least 32/);
    expect(output).not.toContain(weak);
  });

  it.each(frameworks)('%s: refuses a TTL that is not a whole number of minutes', async (framework) => {
    const { code, output } = await runFailingExample(framework, {
      RED5PRO_JWT_SECRET: secret,
      RED5PRO_JWT_TTL_MINUTES: '0.5',
    });
    expect(code).toBe(1);
    expect(output).toContain('RED5PRO_JWT_TTL_MINUTES');
  });
});
