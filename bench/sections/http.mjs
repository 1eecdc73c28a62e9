// 4. HTTP: a bare route against the same app's roomkey token route, on Express and on Koa.
// Each framework's server runs in its own process; autocannon drives it from this process.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createRed5ProVerifier } from '@roomkey/core';
import autocannon from 'autocannon';
import { BEARER, ISSUER, SECRET, TTL_MINUTES } from '../lib/fixtures.mjs';
import { interleavedRounds, median, ratio } from '../lib/harness.mjs';

export const title = '4. HTTP: token route ÷ hand-written token route ÷ bare route';

/**
 * Targets (issues 14 and 19): on each framework the token route serves at least 0.9× the
 * requests of the hand-written route doing the same work (/raw: bearer lookup, room check, HS256
 * with iat and jti, the same JSON and headers), and on Express 5 at least 0.9× the bare route.
 * Fastify 5 runs when its adapter is installed.
 */
const FRAMEWORKS = [
  { name: 'Express 5', script: 'express.mjs', rawAtLeast: 0.9, bareAtLeast: 0.9 },
  { name: 'Koa 3', script: 'koa.mjs', rawAtLeast: 0.9 },
  // plugin/tokens: the tokenRoutes plugin, where roomkey reads the body itself (same target).
  { name: 'Fastify 5', script: 'fastify.mjs', rawAtLeast: 0.9, optional: true, extraRoutes: ['plugin/tokens'] },
].filter(
  ({ script, optional }) => !optional || existsSync(fileURLToPath(new URL(`../servers/${script}`, import.meta.url))),
);
const ROUTES = ['bare', 'raw', 'tokens'];
const routesOf = (framework) => [...ROUTES, ...(framework.extraRoutes ?? [])];
const CONNECTIONS = 50;
/** Both routes get the same request: only what the server does with it differs. */
const REQUEST = {
  method: 'POST',
  headers: { authorization: BEARER, 'content-type': 'application/json' },
  body: JSON.stringify({ room: 'room1', role: 'publisher', transports: ['WHIP', 'WHEP'] }),
};

const running = new Set();
// Whatever happens to this process, no bench server outlives it.
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => process.exit(1)); // runs the 'exit' handler above
}

async function startServer(script) {
  const child = spawn(process.execPath, [fileURLToPath(new URL(`../servers/${script}`, import.meta.url))], {
    env: { ...process.env, ROOMKEY_BENCH_SECRET: SECRET, NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  running.add(child);
  const exited = once(child, 'exit').then(([code, signal]) => {
    throw new Error(`bench server ${script} (pid ${child.pid}) exited early: ${signal ?? `code ${code}`}`);
  });
  exited.catch(() => {});
  const firstLine = once(createInterface({ input: child.stdout }), 'line').then(([line]) => JSON.parse(line).port);
  const timeout = new Promise((_, reject) => setTimeout(reject, 10_000, new Error(`${script} did not start`)).unref());
  try {
    return { child, port: await Promise.race([firstLine, exited, timeout]) };
  } catch (error) {
    await stopServer(child);
    throw error;
  }
}

/** SIGTERM by PID, then SIGKILL if it has not exited within 5 s; resolves once it is gone. */
async function stopServer(child) {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = once(child, 'exit');
    process.kill(child.pid, 'SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
  running.delete(child);
}

/** One request per route before timing: 200, and for /tokens a token roomkey's verifier accepts. */
async function checkRoutes(target, routes) {
  const verifier = createRed5ProVerifier({ secret: SECRET, expectedIssuer: ISSUER, ttlMinutes: TTL_MINUTES });
  for (const route of routes) {
    const response = await fetch(`http://127.0.0.1:${target.port}/${route}`, REQUEST);
    const body = await response.json();
    if (response.status !== 200) throw new Error(`${target.name} /${route} answered ${response.status}`);
    if (route !== 'bare') await verifier.verify(body.tokens.red5pro.token, { role: 'publisher', room: 'room1' });
  }
}

/** CPU seconds (user + system) a process has used, from Linux's /proc; undefined elsewhere. */
function cpuSeconds(pid) {
  const path = `/proc/${pid}/stat`;
  if (!existsSync(path)) return undefined;
  const fields = readFileSync(path, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in USER_HZ (100/s)
}

async function load(contender, seconds) {
  const cpuBefore = cpuSeconds(contender.pid);
  const result = await autocannon({
    url: `http://127.0.0.1:${contender.port}/${contender.route}`,
    ...REQUEST,
    connections: CONNECTIONS,
    duration: seconds,
  });
  const cpuAfter = cpuSeconds(contender.pid);
  return {
    requestsPerSecond: result.requests.total / result.duration,
    // Server CPU per request does not depend on how fast autocannon (on the other core) keeps up.
    serverCpuUs: cpuBefore === undefined ? undefined : ((cpuAfter - cpuBefore) * 1e6) / result.requests.total,
    p99Ms: result.latency.p99,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

/**
 * The median over rounds of one route's measure over another's in the same round: within a
 * round the routes of one server run one after the other, so a load that comes and goes on a
 * shared machine (other processes, thermal limits) moves both sides of each quotient alike,
 * where a ratio of medians taken rounds apart would carry it.
 */
function paired(name, numerator, denominator, key, atLeast) {
  const quotients = numerator.samples.map((sample, round) => sample[key] / denominator.samples[round][key]);
  return ratio(name, median(quotients), 1, atLeast);
}

function summarise(contender, samples) {
  const sum = (key) => samples.reduce((total, sample) => total + sample[key], 0);
  return {
    name: contender.name,
    framework: contender.framework,
    route: contender.route,
    requestsPerSecond: median(samples.map((sample) => sample.requestsPerSecond)),
    p99Ms: median(samples.map((sample) => sample.p99Ms)),
    serverCpuUs: samples[0].serverCpuUs === undefined ? undefined : median(samples.map((sample) => sample.serverCpuUs)),
    requests: sum('requests'),
    non2xx: sum('non2xx'),
    errors: sum('errors'),
    timeouts: sum('timeouts'),
    samples,
  };
}

export async function run({ rounds, warmupSeconds, roundSeconds }) {
  const servers = [];
  try {
    for (const framework of FRAMEWORKS) {
      const server = await startServer(framework.script);
      servers.push(server);
      await checkRoutes({ name: framework.name, port: server.port }, routesOf(framework));
    }
    const contenders = FRAMEWORKS.flatMap((framework, index) =>
      routesOf(framework).map((route) => ({
        name: `${framework.name} /${route}`,
        framework: framework.name,
        route,
        port: servers[index].port,
        pid: servers[index].child.pid,
      })),
    );
    for (const contender of contenders) await load(contender, warmupSeconds);
    const samples = await interleavedRounds(contenders, rounds, (contender) => load(contender, roundSeconds));
    const results = contenders.map((contender) => summarise(contender, samples[contender.name]));
    const find = (framework, route) => results.find((r) => r.framework === framework && r.route === route);
    return {
      title,
      kind: 'http',
      connections: CONNECTIONS,
      results,
      ratios: [
        ...FRAMEWORKS.flatMap(({ name, rawAtLeast, bareAtLeast, extraRoutes = [] }) => {
          const [bare, raw, tokens] = ROUTES.map((route) => find(name, route));
          const cpu = bare.serverCpuUs !== undefined;
          return [
            paired(`${name} token route ÷ hand-written route, req/s`, tokens, raw, 'requestsPerSecond', rawAtLeast),
            ...(cpu
              ? [paired(`${name} token route ÷ hand-written route, server CPU per request`, tokens, raw, 'serverCpuUs')]
              : []),
            ...extraRoutes.flatMap((route) => {
              const extra = find(name, route);
              return [
                paired(`${name} /${route} ÷ hand-written route, req/s`, extra, raw, 'requestsPerSecond', rawAtLeast),
                ...(cpu
                  ? [
                      paired(
                        `${name} /${route} ÷ hand-written route, server CPU per request`,
                        extra,
                        raw,
                        'serverCpuUs',
                      ),
                    ]
                  : []),
              ];
            }),
            paired(`${name} token route ÷ bare route, req/s`, tokens, bare, 'requestsPerSecond', bareAtLeast),
            paired(`${name} hand-written route ÷ bare route, req/s`, raw, bare, 'requestsPerSecond'),
            ratio(`${name} token route ÷ bare route, p99 latency`, tokens.p99Ms, bare.p99Ms),
            ...(cpu
              ? [
                  paired(`${name} token route ÷ bare route, server CPU per request`, tokens, bare, 'serverCpuUs'),
                  paired(`${name} hand-written route ÷ bare route, server CPU per request`, raw, bare, 'serverCpuUs'),
                ]
              : []),
          ];
        }),
        // Users ask how the frameworks compare with roomkey on each.
        ...(find('Fastify 5', 'tokens') === undefined
          ? []
          : [
              ratio(
                'Fastify 5 token route ÷ Express 5 token route, req/s',
                find('Fastify 5', 'tokens').requestsPerSecond,
                find('Express 5', 'tokens').requestsPerSecond,
              ),
            ]),
      ],
      failures: results
        .filter((r) => r.non2xx + r.errors + r.timeouts > 0)
        .map((r) => `${r.name}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts`),
    };
  } finally {
    await Promise.all(servers.map(({ child }) => stopServer(child)));
  }
}
