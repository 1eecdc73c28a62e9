// 3. RS256 (Vonage Video client tokens): roomkey's Vonage signer against the limit (OpenSSL's
// own rate, read from `openssl speed rsa2048` in the same run, and raw node:crypto), against
// what users would otherwise run (@vonage/video's generateClientToken), and what each does to
// the event loop while 100 tokens are in flight.
import { execFile } from 'node:child_process';
import { generateKeyPairSync, sign } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { createVonageVideoSigner, defaultRsaConcurrency } from '@roomkey/core';
import { Video } from '@vonage/video';
import { importSPKI, jwtVerify } from 'jose';
import { format, measureThroughput, median, ratio } from '../lib/harness.mjs';

export const title = '3. RS256 signing (Vonage Video)';

const APPLICATION_ID = '3f1e8a52-7c4d-4b9e-a0f1-6d2c8b7e5a43';
// A session id of the shape Vonage issues (`1_` + URL-safe base64); the signer only checks the shape.
const SESSION_ID = `1_${Buffer.from(`bench-session-${APPLICATION_ID}`).toString('base64url')}`;
/** Tokens kept in flight for the concurrent contenders: enough to keep libuv's 4 threads busy. */
const IN_FLIGHT = 16;
/** Tokens in flight while the event loop's delay is measured (the issue's number). */
const LOOP_IN_FLIGHT = 100;
const LOOP_P99_TARGET_MS = 10;

function keys() {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privateKey,
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** `count` operations at once; resolves to the last result (the harness wants a value back). */
function together(count, op) {
  return async () => (await Promise.all(Array.from({ length: count }, op)))[count - 1];
}

function contenders({ privateKey, privatePem }) {
  const roomkey = createVonageVideoSigner({ applicationId: APPLICATION_ID, privateKey: privatePem });
  const signOne = async () => (await roomkey.sign({ sessionId: SESSION_ID, role: 'publisher' })).token;
  const oneThread = createVonageVideoSigner({ applicationId: APPLICATION_ID, privateKey: privatePem, concurrency: 1 });
  const signOnOneThread = async () => (await oneThread.sign({ sessionId: SESSION_ID, role: 'publisher' })).token;
  const video = new Video({ applicationId: APPLICATION_ID, privateKey: privatePem });
  // The same signing input every time: raw RSA with the key parsed once, nothing else.
  const input = Buffer.from(
    `eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.${Buffer.from('{"sub":"video"}').toString('base64url')}`,
  );
  const signAsync = () =>
    new Promise((resolve, reject) =>
      sign('sha256', input, privateKey, (error, sig) => (error ? reject(error) : resolve(sig))),
    );
  return [
    {
      name: `roomkey createVonageVideoSigner, ${IN_FLIGHT} in flight`,
      note: `the default: validated claims, ${defaultRsaConcurrency()} signing threads of the pool at once`,
      tokensPerOp: IN_FLIGHT,
      op: together(IN_FLIGHT, signOne),
    },
    {
      name: `roomkey createVonageVideoSigner, concurrency 1, ${IN_FLIGHT} in flight`,
      note: 'one signing thread: per thread, the fair match for one core of OpenSSL',
      tokensPerOp: IN_FLIGHT,
      op: together(IN_FLIGHT, signOnOneThread),
    },
    {
      name: 'roomkey createVonageVideoSigner, one at a time',
      note: 'each token awaited before the next',
      op: signOne,
    },
    {
      name: `raw node:crypto sign (async), ${IN_FLIGHT} in flight`,
      note: 'RSA only, same key object, as many at once as the pool takes (4 threads)',
      tokensPerOp: IN_FLIGHT,
      op: together(IN_FLIGHT, signAsync),
    },
    {
      name: 'raw node:crypto sign (sync)',
      note: 'RSA only, on the calling thread',
      sync: true,
      op: () => sign('sha256', input, privateKey),
    },
    {
      name: '@vonage/video generateClientToken',
      note: "Vonage's SDK: synchronous, parses the PEM on every call",
      sync: true,
      op: () => video.generateClientToken(SESSION_ID, { role: 'publisher' }),
    },
  ];
}

/** Both tokens must verify with the public key before anything is timed. */
async function checkTokens(list, publicPem) {
  const key = await importSPKI(publicPem, 'RS256');
  for (const contender of [list[0], list.at(-1)]) {
    const token = await contender.op();
    const { payload } = await jwtVerify(token, key, { algorithms: ['RS256'] });
    if (payload.session_id !== SESSION_ID) throw new Error(`${contender.name} signed an unexpected payload`);
  }
}

/**
 * OpenSSL's RSA-2048 signing rate on one core, from `openssl speed -elapsed` (wall-clock, like
 * every other number here). Returns signs per second and the OpenSSL version.
 */
async function opensslSpeed(seconds) {
  const run = promisify(execFile);
  const { stdout } = await run('openssl', ['speed', '-elapsed', '-seconds', String(seconds), 'rsa2048'], {
    timeout: (seconds + 30) * 1000,
  });
  const line = stdout.split('\n').find((candidate) => /^rsa\s+2048 bits/.test(candidate));
  const numbers = line?.trim().split(/\s+/).slice(3);
  // Columns: sign (s), verify (s), sign/s, verify/s (OpenSSL 3.0 and 1.1 alike).
  const signsPerSecond = Number(numbers?.[2]);
  if (!Number.isFinite(signsPerSecond) || signsPerSecond <= 0) {
    throw new Error(`could not read the rsa 2048 sign rate from openssl speed:\n${stdout}`);
  }
  const { stdout: version } = await run('openssl', ['version']);
  return { signsPerSecond, version: version.trim() };
}

/**
 * Event-loop delay (p50, p99, max in ms) over `seconds` while `inFlight` tokens are always
 * pending: each finished token starts the next, as requests keep arriving at a busy server.
 * `start(done)` begins one token and calls `done` when it is finished.
 */
async function loopDelay(seconds, inFlight, start) {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  let tokens = 0;
  let stop = false;
  let failure;
  let started;
  let stoppedAt;
  await new Promise((resolve) => {
    let pending = 0;
    const launch = () => {
      pending++;
      start((error) => {
        pending--;
        if (error) failure ??= error;
        else if (!stop) tokens++; // the ones still draining after the stop are not counted
        if (!stop && failure === undefined) launch();
        else if (pending === 0) resolve();
      });
    };
    histogram.enable();
    started = performance.now();
    for (let i = 0; i < inFlight; i++) launch();
    setTimeout(() => {
      stop = true;
      stoppedAt = performance.now();
      histogram.disable(); // the drain after the stop is not what is measured
    }, seconds * 1000);
  });
  if (failure) throw failure;
  return {
    tokensPerSecond: tokens / ((stoppedAt - started) / 1000),
    p50Ms: histogram.percentile(50) / 1e6,
    p99Ms: histogram.percentile(99) / 1e6,
    maxMs: histogram.max / 1e6,
  };
}

async function idleDelay(seconds) {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  histogram.disable();
  return {
    tokensPerSecond: 0,
    p50Ms: histogram.percentile(50) / 1e6,
    p99Ms: histogram.percentile(99) / 1e6,
    maxMs: histogram.max / 1e6,
  };
}

export async function run({ rounds, batchMs, warmupMs }) {
  const material = keys();
  const list = contenders(material);
  await checkTokens(list, material.publicPem);

  const speedSeconds = batchMs >= 100 ? 3 : 1;
  const opensslBefore = await opensslSpeed(speedSeconds);
  const measured = await measureThroughput(list, { rounds, batchMs, warmupMs });
  const opensslAfter = await opensslSpeed(speedSeconds);
  const results = measured.map((result, index) => {
    const perOp = list[index].tokensPerOp ?? 1;
    return {
      ...result,
      opsPerSecond: result.opsPerSecond * perOp,
      samples: result.samples.map(({ round, opsPerSecond }) => ({ round, opsPerSecond: opsPerSecond * perOp })),
    };
  });
  const openssl = {
    version: opensslBefore.version,
    // Objects, not a bare number array, so that results.json stays as Biome formats it.
    samples: [
      { when: 'before', signsPerSecond: opensslBefore.signsPerSecond },
      { when: 'after', signsPerSecond: opensslAfter.signsPerSecond },
    ],
    signsPerSecond: median([opensslBefore.signsPerSecond, opensslAfter.signsPerSecond]),
  };

  const loopSeconds = batchMs >= 100 ? 3 : 1;
  const roomkey = createVonageVideoSigner({ applicationId: APPLICATION_ID, privateKey: material.privatePem });
  const video = new Video({ applicationId: APPLICATION_ID, privateKey: material.privatePem });
  const loop = [
    { name: 'idle (no tokens)', ...(await idleDelay(loopSeconds)) },
    {
      name: 'roomkey createVonageVideoSigner',
      ...(await loopDelay(loopSeconds, LOOP_IN_FLIGHT, (done) => {
        roomkey.sign({ sessionId: SESSION_ID, role: 'publisher' }).then(() => done(), done);
      })),
    },
    {
      name: '@vonage/video generateClientToken',
      // Each request does its (synchronous) signing on the event loop in a later turn.
      ...(await loopDelay(loopSeconds, LOOP_IN_FLIGHT, (done) => {
        setImmediate(() => {
          try {
            video.generateClientToken(SESSION_ID, { role: 'publisher' });
            done();
          } catch (error) {
            done(error);
          }
        });
      })),
    },
  ];

  const [concurrent, oneThread, sequential, rawAsync, rawSync, vonage] = results;
  const roomkeyLoop = loop[1];
  return {
    title,
    kind: 'rs256',
    unit: 'tokens/s',
    results,
    openssl,
    loop,
    loopInFlight: LOOP_IN_FLIGHT,
    ratios: [
      ratio(
        `roomkey RS256 (default, ${defaultRsaConcurrency()} threads) ÷ openssl speed rsa2048 (one core)`,
        concurrent.opsPerSecond,
        openssl.signsPerSecond,
        0.8,
      ),
      ratio(
        'roomkey RS256 (one thread) ÷ openssl speed rsa2048 (one core)',
        oneThread.opsPerSecond,
        openssl.signsPerSecond,
      ),
      ratio('roomkey RS256 one at a time ÷ openssl speed rsa2048', sequential.opsPerSecond, openssl.signsPerSecond),
      ratio('raw node:crypto sign (sync) ÷ openssl speed rsa2048', rawSync.opsPerSecond, openssl.signsPerSecond),
      ratio(
        `roomkey (${IN_FLIGHT} in flight) ÷ raw node:crypto sign (async)`,
        concurrent.opsPerSecond,
        rawAsync.opsPerSecond,
      ),
      ratio(`roomkey (${IN_FLIGHT} in flight) ÷ @vonage/video`, concurrent.opsPerSecond, vonage.opsPerSecond),
    ],
    checks: [
      {
        name: `event-loop p99 delay, ${LOOP_IN_FLIGHT} RS256 tokens in flight`,
        measured: format.ms(roomkeyLoop.p99Ms),
        target: `< ${format.ms(LOOP_P99_TARGET_MS)}`,
        met: roomkeyLoop.p99Ms < LOOP_P99_TARGET_MS,
      },
    ],
  };
}
