import { generateSecret } from '@roomkey/core';
import { describe, expect, it } from 'vitest';
import { type Framework, runFailingExample } from './run-example.js';

const frameworks: Framework[] = ['express', 'koa', 'fastify', 'hono'];
const secret = generateSecret();
// What `RED5PRO_JWT_SECRET="$(npx --yes pnpm@10 roomkey secret)"` captures in the repository:
// pnpm's banner, then the secret.
const captured = `\n> roomkey-monorepo@ roomkey /work/roomkey\n> node packages/cli/bin/roomkey.js secret\n\n${secret}`;

describe('a secret captured with command output stops the examples at start-up', () => {
  it.each(frameworks)('%s: names the variable and the likely cause, never the secret', async (framework) => {
    const { code, output } = await runFailingExample(framework, { RED5PRO_JWT_SECRET: captured });
    expect(code).toBe(1);
    expect(output).toContain('RED5PRO_JWT_SECRET: secret contains a line break');
    expect(output).toContain('pnpm --silent roomkey secret');
    expect(output).not.toContain(secret);
    expect(output).not.toContain('listening');
  });
});
