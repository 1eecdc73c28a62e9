/**
 * The example servers with LIVEKIT_API_KEY, LIVEKIT_API_SECRET and LIVEKIT_URL (LiveKit's own
 * names): a room gets a livekit token on POST /tokens, and LiveKit's standard token endpoint is
 * at POST /livekit-token on Express, Koa, Fastify and Hono. Tokens are checked by
 * livekit-server-sdk's TokenVerifier.
 */
import { generateSecret } from '@roomkey/core';
import { TokenVerifier } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Framework, type RunningExample, runFailingExample, startExample } from './run-example.js';

const frameworks: Framework[] = ['express', 'koa', 'fastify', 'hono'];
const env = {
  RED5PRO_JWT_SECRET: generateSecret(),
  LIVEKIT_API_KEY: 'APIexamples',
  LIVEKIT_API_SECRET: generateSecret(),
  LIVEKIT_URL: 'wss://media.example.test',
};
const verifier = new TokenVerifier(env.LIVEKIT_API_KEY, env.LIVEKIT_API_SECRET);
const servers = new Map<Framework, RunningExample>();

beforeAll(async () => {
  for (const framework of frameworks) servers.set(framework, await startExample(framework, env));
});
afterAll(async () => {
  await Promise.all([...servers.values()].map((server) => server.stop()));
});

async function post(framework: Framework, path: string, user: string, body: unknown) {
  const response = await fetch(`${servers.get(framework)?.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${user}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('the example servers with LiveKit configured', () => {
  it.each(frameworks)('%s: a room gets red5pro and livekit tokens on POST /tokens', async (framework) => {
    const { status, body } = await post(framework, '/tokens', 'demo-bob', { room: 'stage' });
    expect(status).toBe(200);
    const tokens = body.tokens as Record<string, { token: string }>;
    expect(Object.keys(tokens).sort()).toEqual(['livekit', 'red5pro']);
    const claims = await verifier.verify(tokens.livekit?.token as string);
    expect(claims).toMatchObject({ sub: 'bob', video: { room: 'stage', canPublish: true, canPublishData: true } });
  });

  it.each(frameworks)('%s: POST /livekit-token answers 201 with the URL and a token', async (framework) => {
    const { status, body } = await post(framework, '/livekit-token', 'demo-carol', {
      room_name: 'stage',
      participant_name: 'Carol',
    });
    expect(status).toBe(201);
    expect(body.server_url).toBe(env.LIVEKIT_URL);
    const claims = await verifier.verify(body.participant_token as string);
    expect(claims).toMatchObject({
      sub: 'carol',
      name: 'Carol',
      video: { canPublish: false, canSubscribe: true },
    });
    // Metadata is not among what the demo grant lets a client set.
    const refused = await post(framework, '/livekit-token', 'demo-carol', {
      room_name: 'stage',
      participant_metadata: 'x',
    });
    expect(refused.status).toBe(403);
  });

  it('LIVEKIT_API_KEY without its secret and URL stops the start, naming the variables', async () => {
    const { output } = await runFailingExample('express', { ...env, LIVEKIT_URL: '' });
    expect(output).toContain('set LIVEKIT_API_KEY, LIVEKIT_API_SECRET and LIVEKIT_URL together');
    expect(output).not.toContain(env.LIVEKIT_API_SECRET);
  });
});
