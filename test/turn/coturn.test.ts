import { spawn } from 'node:child_process';
import { createTurnCredentialSigner, generateSecret, type TurnCredentialSigner } from '@roomkey/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningCoturn, startCoturn } from '../support/coturn.js';

// coturn 4.6 (Debian's `coturn`) checks the credentials roomkey issues: turnutils_uclient, coturn's
// own test client, allocates two relays with them and sends messages from one to the other.
let coturn: RunningCoturn;
let signer: TurnCredentialSigner;
let now = Date.now();

beforeAll(async () => {
  coturn = await startCoturn();
  signer = createTurnCredentialSigner({ secret: coturn.secret, urls: [coturn.url], clock: { now: () => now } });
}, 20_000);
afterAll(async () => {
  await coturn?.stop();
});

interface UclientResult {
  readonly code: number | null;
  readonly output: string;
}

/**
 * turnutils_uclient with the given username (-u) and password (-w): -y relays between two of
 * its own clients (no peer server needed), -c skips the RTCP allocations, -n 1 sends one
 * message, -z 5 sends it 5 ms apart. Exit 0 when the allocations succeed, 255 when refused.
 */
function uclient(username: string, credential: string): Promise<UclientResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'turnutils_uclient',
      ['-u', username, '-w', credential, '-y', '-c', '-n', '1', '-z', '5', '-p', String(coturn.port), '127.0.0.1'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    // Bounded: a uclient still running after 15 s has failed, whatever it was waiting for.
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

function credentialsFor(userId: string, ttlSeconds?: number): { username: string; credential: string } {
  const [server] = signer.issue(userId, ttlSeconds).iceServers;
  return { username: server?.username ?? '', credential: server?.credential ?? '' };
}

/** What uclient counted as received over the relay: "tot_recv_bytes ~ 100" on its last summary. */
function receivedBytes(output: string): number {
  const matches = [...output.matchAll(/tot_recv_bytes ~ (\d+)/g)];
  return Number(matches.at(-1)?.[1] ?? 0);
}

describe('TURN credentials against coturn', () => {
  it('allocates relays and carries data with credentials roomkey issued', async () => {
    now = Date.now();
    const { username, credential } = credentialsFor('alice@example.com', 600);
    const result = await uclient(username, credential);
    expect(result.code, coturn.log()).toBe(0);
    expect(receivedBytes(result.output), result.output).toBeGreaterThan(0);
  }, 20_000);

  it('refuses credentials that expired a minute ago (uclient exits 255)', async () => {
    // Issued an hour ago for 59 minutes: the signature is right, the expiry has passed.
    now = Date.now() - 3_600_000;
    const { username, credential } = credentialsFor('alice', 59 * 60);
    now = Date.now();
    const result = await uclient(username, credential);
    expect(result.code).toBe(255);
    expect(result.output).toMatch(/Cannot complete Allocation/);
  }, 20_000);

  it('refuses credentials signed with another secret', async () => {
    now = Date.now();
    const other = createTurnCredentialSigner({ secret: generateSecret(), urls: [coturn.url] });
    const [server] = other.issue('alice', 600).iceServers;
    const result = await uclient(server?.username ?? '', server?.credential ?? '');
    expect(result.code).toBe(255);
  }, 20_000);

  it('refuses a username whose user id was changed after signing', async () => {
    now = Date.now();
    const { username, credential } = credentialsFor('alice', 600);
    const result = await uclient(username.replace('alice', 'mallory'), credential);
    expect(result.code).toBe(255);
  }, 20_000);

  it('refuses a username whose expiry was pushed later after signing', async () => {
    now = Date.now();
    const { username, credential } = credentialsFor('alice', 600);
    const later = username.replace(/^\d+/, (expiry) => String(Number(expiry) + 86_400));
    const result = await uclient(later, credential);
    expect(result.code).toBe(255);
  }, 20_000);
});
