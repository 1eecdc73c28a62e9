import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

export type Framework = 'express' | 'koa' | 'fastify' | 'hono';

export interface RunningExample {
  readonly url: string;
  readonly output: () => string;
  stop(): Promise<void>;
}

const root = fileURLToPath(new URL('../../', import.meta.url));

/** Starts `examples/<framework>/server.js` on a free loopback port and waits for its banner. */
export async function startExample(framework: Framework, env: Record<string, string>): Promise<RunningExample> {
  const child = spawnExample(framework, { PORT: '0', ...env });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner within 10 s:\n${output}`)), 10_000);
    child.stdout?.on('data', () => {
      const match = /listening on (http:\/\/[^\s]+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code}:\n${output}`));
    });
  });
  return {
    url,
    output: () => output,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
    },
  };
}

/** Runs an example that is expected to refuse to start; resolves with its exit code and output. */
export async function runFailingExample(
  framework: Framework,
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  const child = spawnExample(framework, { PORT: '0', ...env });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  return { code, output };
}

function spawnExample(framework: Framework, env: Record<string, string>): ChildProcess {
  const clean = { ...process.env };
  for (const name of ['RED5PRO_JWT_SECRET', 'RED5PRO_JWT_ISSUER', 'RED5PRO_JWT_TTL_MINUTES', 'NODE_ENV', 'PORT']) {
    delete clean[name];
  }
  return spawn(process.execPath, ['server.js'], {
    cwd: `${root}examples/${framework}`,
    env: { ...clean, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}
