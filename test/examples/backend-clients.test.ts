import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { generateSecret } from '@roomkey/core';
import { jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roomkey, type Serving, scratchFile, serve } from '../../packages/cli/test/support/run.js';

const run = promisify(execFile);
const examples = fileURLToPath(new URL('../../examples/', import.meta.url));
const SECRET = generateSecret();

interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function outcome(file: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<Outcome> {
  try {
    const { stdout, stderr } = await run(file, args, { env, cwd, timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

/**
 * The Java (JDK 17, java.net.http) and Go (standard library) backends of examples/ ask a live
 * `roomkey serve` for a token with their service key, as the README shows.
 */
describe('backends in other languages calling roomkey serve', () => {
  let service: Serving;
  let key: string;
  const build = mkdtempSync(join(tmpdir(), 'roomkey-clients-'));
  beforeAll(async () => {
    const made = JSON.parse((await roomkey(['service-key', '--name', 'backend', '--json'])).stdout) as {
      key: string;
      sha256: string;
    };
    key = made.key;
    const config = {
      identity: {
        service: {
          keys: [
            {
              name: 'backend',
              sha256: made.sha256,
              role: 'publisher',
              users: 'any',
              rooms: ['room-*'],
              platforms: ['red5pro'],
              transports: ['WHIP', 'WHEP'],
            },
          ],
        },
      },
    };
    service = await serve({ RED5PRO_JWT_SECRET: SECRET }, [
      '--config',
      scratchFile('roomkey.json', JSON.stringify(config)),
    ]);
  });
  afterAll(() => service.stop());

  const env = () => ({ ...process.env, ROOMKEY_URL: service.url, ROOMKEY_SERVICE_KEY: key });

  async function expectToken(result: Outcome, user: string): Promise<void> {
    expect(result.code, result.stderr).toBe(0);
    const { payload } = await jwtVerify(result.stdout.trim(), Buffer.from(SECRET), { algorithms: ['HS256'] });
    expect(payload).toMatchObject({
      sub: user,
      'red5-room': 'room-abc',
      roles: 'red5-publisher,red5-subscriber',
      'red5-transport': 'WHIP,WHEP',
    });
  }

  it('the Java client compiles with javac and prints a token; a refusal exits 1 with the problem code', async () => {
    const classes = join(build, 'java');
    mkdirSync(classes);
    await run('javac', ['-d', classes, join(examples, 'java', 'TokenClient.java')], { timeout: 120_000 });
    const java = (args: string[]) => outcome('java', ['-cp', classes, 'TokenClient', ...args], env(), build);
    await expectToken(await java(['alice', 'room-abc', 'publisher']), 'alice');
    const refused = await java(['alice', 'room-abc', 'moderator']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/refused: 403 forbidden: The role "moderator" is not granted/);
  });

  it('the Go client builds with the standard library only and prints a token; a refusal exits 1', async () => {
    const binary = join(build, 'token-client');
    const goEnv = {
      ...process.env,
      GOFLAGS: '-mod=mod',
      GOPROXY: 'off',
      GOTOOLCHAIN: 'local',
      // Kept between runs: the second build of the same client takes a fraction of a second.
      GOCACHE: join(tmpdir(), 'roomkey-go-cache'),
      GOPATH: join(tmpdir(), 'roomkey-go-path'),
    };
    await run('go', ['build', '-o', binary, '.'], { cwd: join(examples, 'go'), env: goEnv, timeout: 120_000 });
    await expectToken(await outcome(binary, ['bob', 'room-abc', 'publisher'], env(), build), 'bob');
    const refused = await outcome(binary, ['bob', 'lobby', 'publisher'], env(), build);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/refused: 403 forbidden/);
  });
});
