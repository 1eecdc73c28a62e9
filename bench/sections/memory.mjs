// 5. Memory: RSS and heap before and after signing many tokens, in a fresh process.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { SECRET } from '../lib/fixtures.mjs';
import { format } from '../lib/harness.mjs';

export const title = '5. Memory';

const MIB = 1024 * 1024;
/** Retaining even 10 bytes per token would exceed these; a kept token (~400 bytes) by far. */
const LIMITS = { heapUsed: 2 * MIB, rss: 16 * MIB };

export async function run({ memoryTokens }) {
  const worker = fileURLToPath(new URL('./memory-worker.mjs', import.meta.url));
  const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', worker, String(memoryTokens)], {
    env: { ...process.env, ROOMKEY_BENCH_SECRET: SECRET },
  });
  const snapshots = JSON.parse(stdout);
  const [before, after] = [snapshots[0], snapshots.at(-1)];
  const checks = Object.entries(LIMITS).map(([key, limit]) => {
    const growth = after[key] - before[key];
    return {
      name: `${key === 'rss' ? 'RSS' : 'heap used'} growth after ${memoryTokens.toLocaleString('en-US')} tokens`,
      measured: format.signedMib(growth),
      target: `≤ ${format.signedMib(limit)}`,
      met: growth <= limit,
    };
  });
  return { title, kind: 'memory', tokens: memoryTokens, snapshots, checks };
}
