/**
 * The example servers with TURN_SECRET and TURN_URLS: the demo users get TURN credentials
 * (`"turn": true`) beside their room tokens on Express, Koa, Fastify and Hono, and a mistake in
 * the variables stops the start, naming the variable. The credentials are recomputed here with
 * node:crypto as coturn computes them.
 */
import { createHmac } from 'node:crypto';
import { generateSecret } from '@roomkey/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Framework, type RunningExample, runFailingExample, startExample } from './run-example.js';

const frameworks: Framework[] = ['express', 'koa', 'fastify', 'hono'];
const env = {
  RED5PRO_JWT_SECRET: generateSecret(),
  TURN_SECRET: generateSecret(),
  TURN_URLS: 'turn:127.0.0.1:3478?transport=udp, stun:127.0.0.1:3478',
};
const servers = new Map<Framework, RunningExample>();

beforeAll(async () => {
  for (const framework of frameworks) servers.set(framework, await startExample(framework, env));
});
afterAll(async () => {
  await Promise.all([...servers.values()].map((server) => server.stop()));
});

async function post(framework: Framework, user: string, body: unknown) {
  const response = await fetch(`${servers.get(framework)?.url}/tokens`, {
    method: 'POST',
    headers: { authorization: `Bearer ${user}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('the example servers with TURN configured', () => {
  it.each(frameworks)('%s: "turn": true beside a room gives the demo user coturn credentials', async (framework) => {
    const before = Math.floor(Date.now() / 1000);
    const { status, body } = await post(framework, 'demo-carol', { room: 'stage', turn: true, ttlMinutes: 30 });
    expect(status).toBe(200);
    const tokens = body.tokens as Record<
      string,
      { iceServers: { urls: string[]; username?: string; credential?: string }[]; expiresAt: string }
    >;
    expect(Object.keys(tokens).sort()).toEqual(['red5pro', 'turn']);
    const [relay, stun] = tokens.turn?.iceServers ?? [];
    expect(relay?.urls).toEqual(['turn:127.0.0.1:3478?transport=udp']);
    expect(stun).toEqual({ urls: ['stun:127.0.0.1:3478'] });
    const [expiry, user] = (relay?.username ?? '').split(':');
    expect(user).toBe('carol');
    expect(Number(expiry)).toBeGreaterThanOrEqual(before + 1800);
    expect(Number(expiry)).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 1800);
    expect(tokens.turn?.expiresAt).toBe(new Date(Number(expiry) * 1000).toISOString());
    expect(relay?.credential).toBe(
      createHmac('sha1', env.TURN_SECRET)
        .update(relay?.username ?? '')
        .digest('base64'),
    );
  });

  it('"turn": true alone works too, and is refused with 400 by a server without TURN', async () => {
    expect((await post('express', 'demo-alice', { turn: true })).status).toBe(200);
    const plain = await startExample('express', { RED5PRO_JWT_SECRET: env.RED5PRO_JWT_SECRET });
    try {
      const response = await fetch(`${plain.url}/tokens`, {
        method: 'POST',
        headers: { authorization: 'Bearer demo-alice', 'content-type': 'application/json' },
        body: '{"turn":true}',
      });
      expect(response.status).toBe(400);
    } finally {
      await plain.stop();
    }
  });

  it.each([
    ['TURN_SECRET without TURN_URLS', { TURN_URLS: '' }, /TURN_SECRET is set but TURN_URLS is not/],
    ['a weak TURN_SECRET', { TURN_SECRET: 'short-turn-secret' }, /TURN_SECRET: secret is too short/],
    ['a malformed TURN_URLS', { TURN_URLS: 'turn://x.example' }, /TURN_URLS\[0\] must not have \/\//],
  ])('%s stops the start, naming the variable and not the secret', async (_, overrides, message) => {
    const { output } = await runFailingExample('express', { ...env, ...overrides });
    expect(output).toMatch(message);
    expect(output).not.toContain(env.TURN_SECRET);
    expect(output).not.toContain('short-turn-secret');
  });
});
