/**
 * `@roomkey/client` refreshes TURN credentials with the tokens, with nothing TURN-specific: a
 * real Express app with roomkey (TURN and Red5 Pro configured) answers `{ room, turn: true }`;
 * the client delivers the answer, then a fresh one before the first expires, and each TURN
 * credential is the one coturn derives for its username (recomputed here with node:crypto).
 * Time is faked in this process (client and server alike), so the refresh comes without waiting.
 */
import { createHmac } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTokenClient, type TokenResponse } from '@roomkey/client';
import { generateSecret } from '@roomkey/core';
import { issueTokens } from '@roomkey/express';
import express from 'express5';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';

const TURN_SECRET = generateSecret();
const URLS = ['turn:127.0.0.1:3478?transport=udp'];
let server: Server;
let url: string;

beforeEach(async () => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  const app = express();
  app.post(
    '/tokens',
    issueTokens({
      identify: (req) => (req.headers.authorization === 'Bearer demo-bob' ? { id: 'bob' } : null),
      authorize: () => ({ role: 'publisher', rooms: ['stage'], transports: 'any', turn: true }),
      red5pro: { secret: generateSecret() },
      turn: { secret: TURN_SECRET, urls: URLS },
      // The faked Date, read on each call (the default clock holds the real Date.now).
      clock: { now: () => Date.now() },
    }),
  );
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/tokens`;
});
afterEach(async () => {
  vi.useRealTimers();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

type TurnEntry = { iceServers: { urls: string[]; username: string; credential: string }[]; expiresAt: string };

/** Waits in real time for the client's deliveries (the answer travels over a real socket). */
async function deliveries(list: unknown[], count: number, errors: unknown[]) {
  for (let tries = 0; list.length < count && tries < 300; tries++) {
    await sleep(10);
    await vi.advanceTimersByTimeAsync(0);
  }
  expect(list, String(errors[0])).toHaveLength(count);
}

it('watch delivers fresh TURN credentials with the room token before the first ones expire', async () => {
  const client = createTokenClient({ url, headers: { authorization: 'Bearer demo-bob' }, refreshBeforeSeconds: 20 });
  const delivered: TokenResponse[] = [];
  const errors: unknown[] = [];
  client.watch(
    { room: 'stage', turn: true, ttlMinutes: 2 },
    { onTokens: (body) => delivered.push(body), onError: (error) => errors.push(error) },
  );
  await deliveries(delivered, 1, errors);
  const first = delivered[0]?.tokens.turn as TurnEntry;
  expect(Object.keys(delivered[0]?.tokens ?? {}).sort()).toEqual(['red5pro', 'turn']);

  // Two minutes of life, refreshed 20 s before the end: nothing at 90 s, fresh credentials by 101 s.
  await vi.advanceTimersByTimeAsync(90_000);
  await sleep(50);
  expect(delivered).toHaveLength(1);
  await vi.advanceTimersByTimeAsync(11_000);
  await deliveries(delivered, 2, errors);
  client.clear();
  expect(errors).toEqual([]);

  const second = delivered[1]?.tokens.turn as TurnEntry;
  expect(Date.parse(second.expiresAt)).toBeGreaterThan(Date.parse(first.expiresAt));
  expect(Date.parse(second.expiresAt)).toBeLessThan(Date.parse(first.expiresAt) + 120_000);
  for (const { iceServers, expiresAt } of [first, second]) {
    const [server] = iceServers;
    expect(server?.urls).toEqual(URLS);
    expect(server?.username).toBe(`${Date.parse(expiresAt) / 1000}:bob`);
    expect(server?.credential).toBe(
      createHmac('sha1', TURN_SECRET)
        .update(server?.username ?? '')
        .digest('base64'),
    );
  }
  expect(second.iceServers[0]?.username).not.toBe(first.iceServers[0]?.username);
});
