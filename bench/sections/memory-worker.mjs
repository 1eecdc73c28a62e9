// Runs in its own process (node --expose-gc) so that nothing else in the bench shares its heap.
// Signs `count` tokens with roomkey's Red5 Pro signer, keeping none, and prints memory after a
// full GC before, at each quarter and at the end, as one JSON line.
import { createBenchSigner, SIGN_INPUT } from '../lib/fixtures.mjs';

const count = Number(process.argv[2]);
const signer = createBenchSigner();

function snapshot(tokens) {
  globalThis.gc();
  globalThis.gc();
  const { rss, heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage();
  return { tokens, rss, heapUsed, heapTotal, external, arrayBuffers };
}

async function sign(n) {
  for (let i = 0; i < n; i++) await signer.sign(SIGN_INPUT);
}

await sign(10_000); // warm-up: JIT, lazily created crypto state, the first UUID pool
const snapshots = [snapshot(0)];
for (let quarter = 1; quarter <= 4; quarter++) {
  await sign(count / 4);
  snapshots.push(snapshot((count / 4) * quarter));
}
process.stdout.write(`${JSON.stringify(snapshots)}\n`);
