// `pnpm soak`: the Express example under autocannon on 127.0.0.1 for a bounded time (60 s, or
// SOAK_SECONDS) with a mix of valid and invalid requests. Reports transport errors and
// timeouts (must be 0), answers with a status other than the one each request expects (must be
// 0), the server's RSS growth, p99 latency and requests per second; exits non-zero when a must
// fails. The server's log lines (its audit events) are read too: none may hold a token, the
// secret or the private key. Not part of CI's test run.
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { generateSecret } from '@roomkey/core';
import autocannon from 'autocannon';

const SECONDS = Number(process.env.SOAK_SECONDS ?? 60);
const CONNECTIONS = Number(process.env.SOAK_CONNECTIONS ?? 20);
if (!Number.isInteger(SECONDS) || SECONDS < 1 || !Number.isInteger(CONNECTIONS) || CONNECTIONS < 1) {
  throw new Error('SOAK_SECONDS and SOAK_CONNECTIONS must be positive whole numbers');
}

const SECRET = generateSecret();
const VONAGE_APPLICATION_ID = '5b0d7c1e-2a3f-4e6d-8c9b-1f2e3d4c5b6a';
const VONAGE_SESSION = `1_${Buffer.from('soak-session').toString('base64url')}`;
const JWT = /eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/;

const json = { 'content-type': 'application/json' };
const as = (user) => ({ ...json, authorization: `Bearer demo-${user}` });
/** The mix, sent in this order on every connection: each request with the status it must get. */
const MIX = [
  { name: 'subscriber token', expect: 200, headers: as('carol'), body: { room: 'lobby' } },
  {
    name: 'publisher token, transports',
    expect: 200,
    headers: as('bob'),
    body: { room: 'stage', role: 'publisher', transports: ['WHIP', 'WHEP'] },
  },
  {
    name: 'moderator, 15 minutes',
    expect: 200,
    headers: as('alice'),
    body: { room: 'stage', role: 'moderator', ttlMinutes: 15 },
  },
  {
    name: 'Vonage token (RS256)',
    expect: 200,
    headers: as('bob'),
    body: { session: VONAGE_SESSION, role: 'publisher' },
  },
  { name: 'no credentials', expect: 401, headers: json, body: { room: 'lobby' } },
  {
    name: 'unknown user',
    expect: 401,
    headers: { ...json, authorization: 'Bearer demo-mallory' },
    body: { room: 'x' },
  },
  { name: 'role beyond the grant', expect: 403, headers: as('carol'), body: { room: 'lobby', role: 'publisher' } },
  { name: 'malformed JSON', expect: 400, headers: as('bob'), raw: '{"room": "lobby",' },
  { name: 'unknown field', expect: 400, headers: as('bob'), body: { room: 'lobby', admin: true } },
  { name: 'bad room name', expect: 400, headers: as('bob'), body: { room: 'a,b' } },
  { name: 'ttlMinutes 1e308', expect: 400, headers: as('bob'), raw: '{"room":"lobby","ttlMinutes":1e308}' },
  { name: 'text/plain body', expect: 415, headers: { ...as('bob'), 'content-type': 'text/plain' }, raw: 'room=lobby' },
  {
    name: 'oversized body',
    expect: 413,
    headers: as('bob'),
    raw: JSON.stringify({ room: 'x', pad: 'x'.repeat(20_000) }),
  },
  { name: 'GET', expect: 405, method: 'GET', headers: as('bob') },
];

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

function rssBytes(pid) {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : Number.NaN;
}

async function startExample(port, privateKey) {
  const keyLine = privateKey.split('\n')[1];
  // The example reads its whole configuration from the environment: only what the mix expects.
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !/^(RED5|PUBNUB|VONAGE|OPENTOK|RATE_LIMIT|REQUIRE_HTTPS|TRUST_PROXY|LOG_LEVEL|ROOMKEY)/.test(name),
    ),
  );
  const server = spawn(process.execPath, [fileURLToPath(new URL('../examples/express/server.js', import.meta.url))], {
    env: {
      ...inherited,
      LOG_LEVEL: 'info', // every answer is an audit line: the leak check reads them all
      PORT: String(port),
      HOST: '127.0.0.1',
      NODE_ENV: 'development',
      RED5PRO_JWT_SECRET: SECRET,
      VONAGE_APPLICATION_ID,
      VONAGE_PRIVATE_KEY: privateKey,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  process.on('exit', () => server.kill('SIGKILL'));
  const log = { lines: 0, leaks: 0, stderr: '' };
  createInterface({ input: server.stdout }).on('line', (line) => {
    log.lines++;
    if (JWT.test(line) || line.includes(SECRET) || line.includes(keyLine)) log.leaks++;
  });
  server.stderr.on('data', (chunk) => {
    if (log.stderr.length < 100_000) log.stderr += chunk;
  });
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`the example exited at start-up:\n${log.stderr}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/tokens`, {
        method: 'POST',
        headers: as('carol'),
        body: '{"room":"ready"}',
      });
      if (res.status === 200) break;
    } catch {}
    if (Date.now() > deadline) throw new Error('the example did not answer within 15 s');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { server, log };
}

async function stop(server) {
  if (server.exitCode !== null || server.signalCode !== null) return;
  const exited = once(server, 'exit');
  server.kill('SIGTERM');
  const timer = setTimeout(() => server.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

const port = await freePort();
const privateKey = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();
const { server, log } = await startExample(port, privateKey);
process.stdout.write(
  `soak: Express example (pid ${server.pid}) on 127.0.0.1:${port}, ${SECONDS} s, ${CONNECTIONS} connections\n`,
);

const statusCounts = new Map(MIX.map(({ name }) => [name, new Map()]));
const unexpected = new Map();
const requests = MIX.map((entry) => ({
  method: entry.method ?? 'POST',
  path: '/tokens',
  headers: entry.headers,
  ...(entry.method !== 'GET' && { body: entry.raw ?? JSON.stringify(entry.body) }),
  onResponse(status) {
    const counts = statusCounts.get(entry.name);
    counts.set(status, (counts.get(status) ?? 0) + 1);
    if (status !== entry.expect) unexpected.set(entry.name, (unexpected.get(entry.name) ?? 0) + 1);
  },
}));

// RSS after a short warm-up (JIT, pools, first allocations), then every second of the soak.
await autocannon({ url: `http://127.0.0.1:${port}`, connections: CONNECTIONS, duration: 3, requests });
for (const counts of statusCounts.values()) counts.clear();
unexpected.clear();
const rss = [rssBytes(server.pid)];
const sampler = setInterval(() => rss.push(rssBytes(server.pid)), 1000);
const result = await autocannon({
  url: `http://127.0.0.1:${port}`,
  connections: CONNECTIONS,
  duration: SECONDS,
  requests,
});
clearInterval(sampler);
rss.push(rssBytes(server.pid));
const alive = await fetch(`http://127.0.0.1:${port}/tokens`, {
  method: 'POST',
  headers: as('carol'),
  body: '{"room":"after"}',
}).catch((error) => ({ status: `no answer (${error.cause?.code ?? error.message})` }));
await stop(server);

const mib = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const unexpectedTotal = [...unexpected.values()].reduce((sum, count) => sum + count, 0);
const errors = result.errors + result.timeouts;
const lines = [
  `soak: ${SECONDS} s, ${CONNECTIONS} connections, ${result.requests.total.toLocaleString('en-US')} requests, ${Math.round(result.requests.average).toLocaleString('en-US')} req/s`,
  `  latency p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, max ${result.latency.max} ms`,
  `  errors ${result.errors}, timeouts ${result.timeouts}, unexpected statuses ${unexpectedTotal}`,
  `  RSS ${mib(rss[0])} after warm-up → ${mib(rss.at(-1))} at the end (peak ${mib(Math.max(...rss))}, growth ${mib(rss.at(-1) - rss[0])})`,
  // A leak grows with every quarter; a heap settling at its working size grows early and stops.
  `  RSS by quarter of the run: ${[1, 2, 3, 4].map((q) => mib(rss[Math.min(rss.length - 1, Math.round((q * (rss.length - 1)) / 4))])).join(' → ')}`,
  `  log lines ${log.lines.toLocaleString('en-US')}, holding a token, the secret or the private key: ${log.leaks}`,
  `  a request after the soak: ${alive.status}`,
  '  by request (status × count):',
  ...MIX.map(({ name, expect }) => {
    const counts = [...statusCounts.get(name)].map(([status, count]) => `${status}×${count.toLocaleString('en-US')}`);
    return `    ${name} (expects ${expect}): ${counts.join(', ') || 'none'}`;
  }),
];
process.stdout.write(`${lines.join('\n')}\n`);
// stderr (start-up warnings, crashes) may hold nothing secret either.
const stderrLeaks =
  JWT.test(log.stderr) || log.stderr.includes(SECRET) || log.stderr.includes(privateKey.split('\n')[1]);
if (stderrLeaks) process.stdout.write('  stderr holds a token, the secret or the private key\n');
if (log.stderr.trim() !== '') process.stdout.write(`  server stderr:\n${log.stderr.trim().slice(0, 2000)}\n`);
if (errors > 0 || unexpectedTotal > 0 || log.leaks > 0 || stderrLeaks || log.lines === 0 || alive.status !== 200) {
  process.stderr.write('soak: FAILED (errors, unexpected statuses, leaked tokens or a dead server)\n');
  process.exitCode = 1;
}
