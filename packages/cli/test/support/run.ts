import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package's `bin` entry (which runs the build), as npm's `roomkey` shim runs it. */
export const BIN = fileURLToPath(new URL('../../bin/roomkey.js', import.meta.url));

/** Variables the tests set themselves: never inherited from the machine running them. */
const OWN_VARIABLES =
  /^(RED5PRO_|RED5_|PUBNUB_|VONAGE_|OPENTOK_|LIVEKIT_|TURN_|ROOMKEY_|RATE_LIMIT_|REQUIRE_HTTPS|TRUST_PROXY|PORT|HOST|NODE_ENV|NO_COLOR|FORCE_COLOR)/;

export function cleanEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const clean: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!OWN_VARIABLES.test(name)) clean[name] = value;
  return { ...clean, ...env };
}

export interface Result {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `roomkey …` to completion, with optional standard input. */
export async function roomkey(
  args: readonly string[],
  env: Record<string, string> = {},
  input?: string,
): Promise<Result> {
  const child = spawn(process.execPath, [BIN, ...args], { env: cleanEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  child.stdin.end(input);
  // 'close', not 'exit': the output may still be in the pipes when the process has exited.
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout, stderr };
}

/** A scratch file for a configuration or a secret, in a fresh folder. */
export function scratchFile(name: string, content: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'roomkey-cli-')), name);
  writeFileSync(path, content, { mode: 0o600 });
  return path;
}

export interface Serving {
  readonly url: string;
  /** The metrics URL the service announced, or `off`. */
  readonly metrics: string;
  readonly child: ChildProcess;
  /** Everything written so far, stdout and stderr. */
  output(): string;
  /** Parsed JSON log lines from stdout. */
  lines(): Record<string, unknown>[];
  /** Resolves when a log line matches. */
  waitFor(test: (line: Record<string, unknown>) => boolean, ms?: number): Promise<Record<string, unknown>>;
  /** SIGTERM and wait for the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `roomkey serve` on a free loopback port and waits for its listening line. */
export async function serve(env: Record<string, string>, args: readonly string[] = []): Promise<Serving> {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], {
    env: cleanEnv({ PORT: '0', HOST: '127.0.0.1', ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const waiters = new Set<() => void>();
  child.stdout?.on('data', (chunk) => {
    stdout += chunk;
    for (const waiter of waiters) waiter();
  });
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const lines = () =>
    stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  const waitFor = (test: (line: Record<string, unknown>) => boolean, ms = 10_000) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const check = () => {
        const found = lines().find(test);
        if (found !== undefined) {
          cleanup();
          resolve(found);
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`no such log line within ${ms} ms:\n${stdout}\n${stderr}`));
      }, ms);
      const exited = () => {
        cleanup();
        reject(new Error(`roomkey serve exited with ${child.exitCode}:\n${stdout}\n${stderr}`));
      };
      const cleanup = () => {
        clearTimeout(timer);
        waiters.delete(check);
        child.off('exit', exited);
      };
      waiters.add(check);
      child.once('exit', exited);
      check();
    });
  const listening = await waitFor((line) => line.event === 'roomkey.listening');
  return {
    url: listening.url as string,
    metrics: listening.metrics as string,
    child,
    output: () => `${stdout}${stderr}`,
    lines,
    waitFor,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      return code;
    },
  };
}
