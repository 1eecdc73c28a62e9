// The shared harness: every measurement is taken in interleaved rounds (each contender in
// turn, the order rotated every round) and reported as the median over rounds, so that noise
// from a shared machine hits all contenders alike instead of whichever happened to run last.

export const QUICK = process.env.BENCH_QUICK === '1';

export function median(values) {
  if (values.length === 0) throw new Error('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * Runs `measure(contender, round)` for every contender in every round, rotating the order by
 * one each round. Returns one array of samples per contender name, in round order.
 */
export async function interleavedRounds(contenders, rounds, measure) {
  const samples = Object.fromEntries(contenders.map((contender) => [contender.name, []]));
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < contenders.length; i++) {
      const contender = contenders[(i + round) % contenders.length];
      samples[contender.name].push(await measure(contender, round));
    }
  }
  return samples;
}

/** Runs one operation `count` times; sync operations are not awaited (that would cost them a microtask each). */
async function runBatch(contender, count) {
  let last;
  if (contender.sync) {
    for (let i = 0; i < count; i++) last = contender.op();
  } else {
    for (let i = 0; i < count; i++) last = await contender.op();
  }
  return last;
}

async function timeBatch(contender, count) {
  const start = process.hrtime.bigint();
  const last = await runBatch(contender, count);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (last === undefined) throw new Error(`${contender.name} produced nothing`);
  return seconds;
}

/**
 * Operations per second for each contender `{ name, op, sync }`. A warm-up (which also lets
 * the JIT settle) sizes each contender's batch so that one batch takes about `batchMs`; then
 * every round runs one batch of each contender in turn.
 */
export async function measureThroughput(contenders, { rounds, batchMs, warmupMs }) {
  const batches = new Map();
  for (const contender of contenders) {
    let count = 64;
    let seconds = await timeBatch(contender, count);
    let spent = seconds;
    while (spent * 1000 < warmupMs) {
      count *= 2;
      seconds = await timeBatch(contender, count);
      spent += seconds;
    }
    batches.set(contender.name, Math.max(1, Math.round((count / seconds) * (batchMs / 1000))));
  }
  const samples = await interleavedRounds(contenders, rounds, async (contender) => {
    const count = batches.get(contender.name);
    return count / (await timeBatch(contender, count));
  });
  return contenders.map(({ name, note }) => ({
    name,
    ...(note && { note }),
    opsPerSecond: median(samples[name]),
    batch: batches.get(name),
    // One object per round (not a bare number array) so results.json stays as Biome formats it.
    samples: samples[name].map((opsPerSecond, round) => ({ round, opsPerSecond })),
  }));
}

/** A ratio, with the least value it should reach when it has a target (reported, never asserted). */
export function ratio(name, numerator, denominator, atLeast) {
  const value = numerator / denominator;
  return { name, value, ...(atLeast !== undefined && { atLeast, met: value >= atLeast }) };
}

export const format = {
  ratio: (value) => `${value.toFixed(2)}×`,
  rate: (value) => Math.round(value).toLocaleString('en-US'),
  ms: (value) => `${value.toFixed(1)} ms`,
  us: (value) => `${value.toFixed(1)} µs`,
  mib: (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`,
  signedMib: (bytes) => `${bytes >= 0 ? '+' : '−'}${(Math.abs(bytes) / 1024 / 1024).toFixed(2)} MiB`,
};
