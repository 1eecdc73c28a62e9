import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSecret } from '@roomkey/core';
import { decodeJwt, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Framework, type RunningExample, runFailingExample, startExample } from './run-example.js';

const frameworks: Framework[] = ['express', 'koa', 'fastify', 'hono'];
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const keyFile = join(mkdtempSync(join(tmpdir(), 'roomkey-vonage-')), 'private.key');
writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
const APPLICATION_ID = '0d5e6f7a-8b9c-4d0e-9f1a-2b3c4d5e6f70';
const sessionId = `1_${Buffer.from(`1~${APPLICATION_ID}~~Sun Nov 22 2026~examples~~`).toString('base64url')}`;
const env = {
  RED5PRO_JWT_SECRET: generateSecret(),
  VONAGE_APPLICATION_ID: APPLICATION_ID,
  VONAGE_PRIVATE_KEY: keyFile,
};
const servers = new Map<Framework, RunningExample>();

beforeAll(async () => {
  for (const framework of frameworks) servers.set(framework, await startExample(framework, env));
});
afterAll(async () => {
  await Promise.all([...servers.values()].map((server) => server.stop()));
});

async function requestTokens(framework: Framework, user: string, body: unknown) {
  const response = await fetch(`${servers.get(framework)?.url}/tokens`, {
    method: 'POST',
    headers: { authorization: `Bearer ${user}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return {
    status: response.status,
    body: (await response.json()) as { tokens: Record<string, { token: string; expiresAt: string }> },
  };
}

describe('the example servers with VONAGE_APPLICATION_ID and VONAGE_PRIVATE_KEY', () => {
  it('issue red5pro and vonage tokens for one request, the same on Express, Koa, Fastify and Hono', async () => {
    const claims = [];
    for (const framework of frameworks) {
      const { status, body } = await requestTokens(framework, 'demo-bob', { room: 'stage', session: sessionId });
      expect(status).toBe(200);
      const token = body.tokens.vonage?.token ?? '';
      const { payload } = await jwtVerify(token, publicKey, { algorithms: ['RS256'] });
      const { jti, iat, exp, ...stable } = payload;
      expect(exp).toBe((iat as number) + 24 * 3600);
      claims.push({
        stable,
        red5pro: decodeJwt(body.tokens.red5pro?.token ?? '').roles,
      });
    }
    for (const other of claims.slice(1)) expect(other).toEqual(claims[0]);
    expect(claims[0]?.stable).toMatchObject({
      role: 'publisher',
      session_id: sessionId,
      application_id: APPLICATION_ID,
    });
    expect(claims[0]?.stable).not.toHaveProperty('connection_data');
  });

  it('name the token kinds they issue at start-up and never print the key', () => {
    for (const framework of frameworks) {
      const output = servers.get(framework)?.output() ?? '';
      expect(output).toContain('Tokens: red5pro, vonage.');
      expect(output).not.toContain('PRIVATE KEY');
    }
  });
});

describe('Vonage configuration mistakes stop the examples at start-up', () => {
  const weakFile = join(mkdtempSync(join(tmpdir(), 'roomkey-weak-')), 'weak.key');
  writeFileSync(
    weakFile,
    generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }),
  );
  it.each([
    [
      'an application id without a key',
      { VONAGE_APPLICATION_ID: APPLICATION_ID },
      /VONAGE_APPLICATION_ID and VONAGE_PRIVATE_KEY together/,
    ],
    [
      'a 1024-bit key',
      { VONAGE_APPLICATION_ID: APPLICATION_ID, VONAGE_PRIVATE_KEY: weakFile },
      /VONAGE_PRIVATE_KEY: .*1024-bit/,
    ],
    [
      'an application id that is not one',
      { VONAGE_APPLICATION_ID: 'app', VONAGE_PRIVATE_KEY: keyFile },
      /VONAGE_APPLICATION_ID: /,
    ],
    [
      'both Vonage and OpenTok',
      { ...env, OPENTOK_API_KEY: '46000001', OPENTOK_API_SECRET: 'x'.repeat(40) },
      /either VONAGE_\* or OPENTOK_\*/,
    ],
  ])('refuse %s', async (_name, extra, message) => {
    for (const framework of frameworks) {
      const { code, output } = await runFailingExample(framework, {
        RED5PRO_JWT_SECRET: env.RED5PRO_JWT_SECRET,
        ...extra,
      });
      expect(code).toBe(1);
      expect(output).toMatch(message);
    }
  });
});
