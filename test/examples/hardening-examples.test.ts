import { generateSecret } from '@roomkey/core';
import { afterAll, describe, expect, it } from 'vitest';
import { type Framework, type RunningExample, runFailingExample, startExample } from './run-example.js';

const frameworks: Framework[] = ['express', 'koa', 'fastify', 'hono'];
const secret = generateSecret();
const running: RunningExample[] = [];
afterAll(async () => {
  await Promise.all(running.map((server) => server.stop()));
});

async function start(framework: Framework, env: Record<string, string>): Promise<RunningExample> {
  const server = await startExample(framework, { RED5PRO_JWT_SECRET: secret, ...env });
  running.push(server);
  return server;
}

function post(server: RunningExample, headers: Record<string, string> = {}) {
  return fetch(`${server.url}/tokens`, {
    method: 'POST',
    headers: { authorization: 'Bearer demo-bob', 'content-type': 'application/json', ...headers },
    body: '{"room":"room-abc"}',
  });
}

describe.each(frameworks)('the %s example, hardened', (framework) => {
  it('requires HTTPS in production: 403 over plain HTTP, tokens behind a trusted proxy that says HTTPS', async () => {
    const direct = await start(framework, { NODE_ENV: 'production' });
    const refused = await post(direct);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ code: 'forbidden' });
    // Without TRUST_PROXY, a client's own X-Forwarded-Proto changes nothing.
    expect((await post(direct, { 'x-forwarded-proto': 'https' })).status).toBe(403);

    const proxied = await start(framework, { NODE_ENV: 'production', TRUST_PROXY: 'true' });
    const issued = await post(proxied, { 'x-forwarded-proto': 'https' });
    expect(issued.status).toBe(200);
    expect(Object.keys(((await issued.json()) as { tokens: object }).tokens)).toEqual(['red5pro']);
  });

  it('limits tokens per user and failed attempts per address when asked to', async () => {
    const server = await start(framework, { RATE_LIMIT_TOKENS: '2/60', RATE_LIMIT_FAILURES: '2/60' });
    expect((await post(server)).status).toBe(200);
    expect((await post(server)).status).toBe(200);
    const limited = await post(server);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await limited.json()).toMatchObject({ code: 'rate_limited' });
    // Another user still gets tokens until this address fails twice.
    expect((await post(server, { authorization: 'Bearer demo-carol' })).status).toBe(200);
    expect((await post(server, { authorization: 'Bearer nobody' })).status).toBe(401);
    expect((await post(server, { authorization: 'Bearer nobody' })).status).toBe(401);
    expect((await post(server, { authorization: 'Bearer demo-carol' })).status).toBe(429);
  });

  it.each([
    ['REQUIRE_HTTPS', 'yes', /REQUIRE_HTTPS must be true or false/],
    ['TRUST_PROXY', '1', /TRUST_PROXY must be true or false/],
    ['RATE_LIMIT_TOKENS', '30 per minute', /RATE_LIMIT_TOKENS must be points\/seconds/],
    ['RATE_LIMIT_FAILURES', '0/60', /RATE_LIMIT_FAILURES must be points\/seconds/],
  ])('refuses %s=%s at start-up', async (name, value, message) => {
    const { code, output } = await runFailingExample(framework, { RED5PRO_JWT_SECRET: secret, [name]: value });
    expect(code).toBe(1);
    expect(output).toMatch(message);
    expect(output).not.toContain('listening');
  });
});
