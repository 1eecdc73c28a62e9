import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A turnserver (coturn) started by a test, on loopback, with its own ports and temp dir. */
export interface RunningCoturn {
  /** Its `static-auth-secret`: fresh and strong for each server. */
  readonly secret: string;
  readonly realm: string;
  /** The UDP and TCP listening port. */
  readonly port: number;
  /** `turn:127.0.0.1:<port>?transport=udp`, the URI a client is given. */
  readonly url: string;
  /** The relay port range, `[min, max]`. */
  readonly relayPorts: readonly [number, number];
  /** What turnserver has written to its log so far (for a failing test's message). */
  log(): string;
  stop(): Promise<void>;
}

export const TURNSERVER = 'turnserver';
const REALM = 'roomkey.test';
/** Relay ranges are drawn below Linux's ephemeral ports (32768-60999), where port 0 lands. */
const RELAY_RANGE_FLOOR = 20_000;
const RELAY_RANGE_CEILING = 32_000;
const RELAY_PORTS = 32;
const READY_WITHIN_MS = 10_000;

/**
 * Starts `turnserver` with TURN REST API credentials (`use-auth-secret`), listening on
 * 127.0.0.1 only, relaying on 127.0.0.1 from a port range of its own, with TLS, DTLS, the
 * telnet CLI and RFC 5780's second port off. The three lines the README tells users to put in
 * turnserver.conf are written into a config file of the server's own (which also keeps the
 * secret out of the process list and keeps /etc/turnserver.conf out of the test). Resolves
 * once the server answers a STUN binding request on its port; no fixed sleeps.
 */
export async function startCoturn(): Promise<RunningCoturn> {
  const dir = mkdtempSync(join(tmpdir(), 'roomkey-coturn-'));
  const secret = randomBytes(32).toString('base64url');
  const config = join(dir, 'turnserver.conf');
  writeFileSync(config, `use-auth-secret\nstatic-auth-secret=${secret}\nrealm=${REALM}\n`, { mode: 0o600 });
  chmodSync(config, 0o600);
  const logFile = join(dir, 'turnserver.log');
  const [port, relayPorts] = await Promise.all([freeUdpAndTcpPort(), freeRelayRange()]);
  const args = [
    '-c',
    config,
    `--listening-ip=127.0.0.1`,
    `--relay-ip=127.0.0.1`,
    `--listening-port=${port}`,
    `--min-port=${relayPorts[0]}`,
    `--max-port=${relayPorts[1]}`,
    '--allow-loopback-peers',
    '--no-tls',
    '--no-dtls',
    '--no-cli',
    '--no-rfc5780',
    `--userdb=${join(dir, 'turndb')}`,
    `--pidfile=${join(dir, 'turnserver.pid')}`,
    `--log-file=${logFile}`,
    '--simple-log',
    '--no-stdout-log',
  ];
  const child: ChildProcess = spawn(TURNSERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  const log = () => {
    let text = '';
    try {
      text = readFileSync(logFile, 'utf8');
    } catch {
      // Not written yet.
    }
    return `${text}${output}`.replaceAll(secret, '<secret>');
  };
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await answersStun(port, child);
  } catch (error) {
    const text = log();
    await stop();
    throw new Error(`${(error as Error).message}\n--- turnserver log ---\n${text}`);
  }
  return { secret, realm: REALM, port, url: `turn:127.0.0.1:${port}?transport=udp`, relayPorts, log, stop };
}

/** A port free for both TCP and UDP on 127.0.0.1 right now (turnserver listens on both). */
async function freeUdpAndTcpPort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const udpFree = await udpPortFree(port);
    server.close();
    await once(server, 'close');
    if (udpFree) return port;
  }
  throw new Error('found no port free for both TCP and UDP on 127.0.0.1');
}

/** An even-based range of relay ports of which none is bound now (ranges of parallel test files rarely meet; coturn skips a busy port anyway). */
async function freeRelayRange(): Promise<[number, number]> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const min = randomInt(RELAY_RANGE_FLOOR / 2, (RELAY_RANGE_CEILING - RELAY_PORTS) / 2) * 2;
    const ports = Array.from({ length: RELAY_PORTS }, (_, index) => min + index);
    if ((await Promise.all(ports.map(udpPortFree))).every(Boolean)) return [min, min + RELAY_PORTS - 1];
  }
  throw new Error('found no free range of relay ports on 127.0.0.1');
}

async function udpPortFree(port: number): Promise<boolean> {
  const socket = createSocket('udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, '127.0.0.1', () => resolve());
    });
    return true;
  } catch {
    return false;
  } finally {
    socket.close();
  }
}

/**
 * Sends STUN binding requests (RFC 8489: type 0x0001, the magic cookie, a random transaction id)
 * to the port every 50 ms until a binding success response with the same transaction id comes
 * back, the server exits, or {@link READY_WITHIN_MS} pass.
 */
async function answersStun(port: number, child: ChildProcess): Promise<void> {
  const socket = createSocket('udp4');
  const transaction = randomBytes(12);
  const request = Buffer.concat([Buffer.from([0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42]), transaction]);
  try {
    await new Promise<void>((resolve, reject) => {
      const deadline = setTimeout(
        () => reject(new Error(`turnserver did not answer STUN on 127.0.0.1:${port} within ${READY_WITHIN_MS} ms`)),
        READY_WITHIN_MS,
      );
      const finish = (error?: Error) => {
        clearTimeout(deadline);
        clearInterval(probe);
        child.off('exit', exited);
        if (error === undefined) resolve();
        else reject(error);
      };
      const exited = (code: number | null, signal: string | null) =>
        finish(new Error(`turnserver exited (${code ?? signal}) before it listened`));
      child.once('exit', exited);
      // Kept after start-up too: a child process's 'error' with no listener would crash the test run.
      child.on('error', (error: NodeJS.ErrnoException) =>
        finish(
          new Error(
            error.code === 'ENOENT'
              ? 'turnserver is not installed: install coturn (node scripts/ensure-system-packages.mjs does)'
              : `turnserver could not start: ${error.message}`,
          ),
        ),
      );
      socket.on('message', (message) => {
        if (message.readUInt16BE(0) === 0x0101 && message.subarray(8, 20).equals(transaction)) finish();
      });
      socket.on('error', () => {
        // ICMP port unreachable while the server starts: the next probe tries again.
      });
      const probe = setInterval(() => socket.send(request, port, '127.0.0.1'), 50);
      socket.send(request, port, '127.0.0.1');
    });
  } finally {
    socket.close();
  }
}
