/**
 * TURN in `roomkey serve`, configured by TURN_SECRET and TURN_URLS and allowed by the `turn` value
 * of a caller's `platforms`: `POST /tokens {"turn": true}` gives coturn's TURN REST API credentials
 * to those callers only, and nothing else is widened for them.
 */
import { createHmac } from 'node:crypto';
import { generateSecret } from '@roomkey/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Serving } from './support/run.js';
import { scratchFile, serve } from './support/run.js';
import { type Answer, asKey, type Key, newKey, post } from './support/service.js';

const TURN_SECRET = generateSecret();
const TURN_URLS = 'turn:turn.example.test:3478?transport=udp,stun:turn.example.test:3478';
const ENV = { TURN_SECRET, TURN_URLS, RED5PRO_JWT_SECRET: generateSecret() };

interface TurnEntry {
  readonly iceServers: readonly { urls: readonly string[] | string; username?: string; credential?: string }[];
  readonly expiresAt: string;
}
const entry = (name: string, key: Key, rest: object) => ({ name, sha256: key.sha256, users: 'any', ...rest });
const turnOf = (answer: Answer) => (answer.body.tokens as { turn?: TurnEntry } | undefined)?.turn;

describe('roomkey serve with TURN, for service keys', () => {
  let service: Serving;
  let relay: Key;
  let both: Key;
  let streams: Key;
  beforeAll(async () => {
    [relay, both, streams] = await Promise.all([newKey(), newKey(), newKey()]);
    const keys = [
      entry('relay', relay, { role: 'subscriber', platforms: ['turn'], ttlMinutes: 60 }),
      entry('both', both, { role: 'publisher', rooms: ['stage'], platforms: ['red5pro', 'turn'], transports: 'any' }),
      entry('streams', streams, { role: 'publisher', rooms: 'any', platforms: ['red5pro'], transports: 'any' }),
    ];
    service = await serve(ENV, [
      '--config',
      scratchFile('roomkey.json', JSON.stringify({ identity: { service: { keys } } })),
    ]);
  });
  afterAll(() => service.stop());

  it('gives a key allowed turn credentials coturn accepts: <expiry>:<user>, base64 HMAC-SHA1, capped by the key', async () => {
    const before = Math.floor(Date.now() / 1000);
    const answer = await post(service, { turn: true }, asKey(relay, 'ann'));
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(Object.keys(answer.body.tokens as object)).toEqual(['turn']);
    const turn = turnOf(answer) as TurnEntry;
    const [server] = turn.iceServers;
    const username = server?.username as string;
    expect(username).toMatch(/^\d+:ann$/);
    expect(server?.credential).toBe(createHmac('sha1', TURN_SECRET).update(username).digest('base64'));
    const expiry = Number(username.split(':')[0]);
    // The key's ttlMinutes (60) caps TURN's 12-hour default.
    expect(expiry - before).toBeGreaterThan(55 * 60);
    expect(expiry - before).toBeLessThanOrEqual(60 * 60 + 5);
    expect(new Date(turn.expiresAt).getTime()).toBe(expiry * 1000);
  });

  it('issues TURN beside a room token for a key allowed both, within its rooms', async () => {
    const answer = await post(service, { room: 'stage', turn: true }, asKey(both, 'ann'));
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(Object.keys(answer.body.tokens as object).sort()).toEqual(['red5pro', 'turn']);
    expect((await post(service, { room: 'backstage', turn: true }, asKey(both, 'ann'))).status).toBe(403);
  });

  it('refuses TURN to a key whose platforms leave it out, and gives it nothing else instead', async () => {
    const answer = await post(service, { room: 'stage', turn: true }, asKey(streams, 'ann'));
    // As for every token kind a caller is not allowed: its issuer has no such platform (400).
    expect(answer.status, JSON.stringify(answer.body)).toBe(400);
    expect(answer.body).toMatchObject({ code: 'invalid_request' });
    expect(answer.body.detail).toMatch(/turn/i);
    expect(answer.body).not.toHaveProperty('tokens');
    // Without the flag it still gets its own token: the refusal above was TURN's.
    expect((await post(service, { room: 'stage' }, asKey(streams, 'ann'))).status).toBe(200);
  });

  it('refuses a user id the TURN username cannot carry with 400, naming the rule', async () => {
    const answer = await post(service, { turn: true }, asKey(relay, 'team:ann'));
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ code: 'invalid_request' });
    expect(JSON.stringify(answer.body)).not.toContain('team:ann');
  });
});
