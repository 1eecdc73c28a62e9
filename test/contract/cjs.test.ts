/**
 * A CommonJS app can require the ESM-only packages (Node >= 20.19 loads them with require(esm))
 * and serve a token: the fixture is a plain .cjs script run by a separate node process.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import type { VariantName } from './apps.js';
import { SECRET } from './support/tokens.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));
const fixture = fileURLToPath(new URL('./fixtures/serve-token.cjs', import.meta.url));
const API_KEY = 'rk_test_cjs_0d6f1c9a2b7e4f8a';

interface FixtureOutput {
  readonly commonjs: boolean;
  readonly coreExports: string;
  readonly status: number;
  readonly cacheControl: string | null;
  readonly body: {
    readonly identity: string;
    readonly role: string;
    readonly tokens: { readonly red5pro: { readonly token: string; readonly expiresAt: string } };
  };
}

const FRAMEWORKS = [
  'express4',
  'express5',
  'koa2',
  'koa3',
  'fastify4',
  'fastify5',
  'hono4',
  'fetch',
] satisfies VariantName[];

describe.each(FRAMEWORKS)('CommonJS app on %s', (framework) => {
  it('requires @roomkey/* with require() and serves a token jose verifies', async () => {
    const before = Math.floor(Date.now() / 1000);
    const { stdout, stderr } = await run(process.execPath, [fixture, framework], {
      cwd: root,
      env: { ...process.env, ROOMKEY_CONTRACT_SECRET: SECRET, ROOMKEY_CONTRACT_API_KEY: API_KEY },
      timeout: 15_000,
    });
    expect(stderr).not.toMatch(/Error/);
    const output = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as FixtureOutput;
    expect(output).toMatchObject({
      commonjs: true,
      coreExports: 'function',
      status: 200,
      cacheControl: 'no-store',
      body: { identity: 'cjs-user', role: 'publisher-only' },
    });

    const { token, expiresAt } = output.body.tokens.red5pro;
    const { payload, protectedHeader } = await jwtVerify(token, new TextEncoder().encode(SECRET), {
      algorithms: ['HS256'],
    });
    expect(protectedHeader.alg).toBe('HS256');
    expect(payload).toMatchObject({
      sub: 'cjs-user',
      roles: 'red5-publisher',
      'red5-room': 'cjs-room',
      'red5-transport': 'WHIP',
    });
    const exp = payload.exp as number;
    // maxTtlMinutes 10: 600 s less the 30 s skew margin, from the child's clock.
    expect(exp - (payload.iat as number)).toBe(570);
    expect(exp).toBeGreaterThanOrEqual(before + 570);
    expect(expiresAt).toBe(new Date(exp * 1000).toISOString());
    expect(stdout).not.toContain(SECRET);
  });
});
