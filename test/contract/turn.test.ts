/**
 * TURN credentials through every framework variant (Express 4 and 5, Koa 2 and 3, Hono 4, a bare
 * Fetch API handler, Fastify 4 and 5; each without and, where the framework has one, with its own
 * JSON body parsing): `"turn": true` alone or beside a room, the grant's `turn` closed by
 * omission, lifetimes, and a service without TURN. The credentials are recomputed here with
 * node:crypto as coturn computes them (test/turn/coturn.test.ts has coturn itself check them).
 */
import { createHmac } from 'node:crypto';
import { createTokenIssuer, type Grant, generateSecret, isRoomkeyError } from '@roomkey/core';
import { jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { type ContractOptions, MODES, type Mode } from './apps.js';
import { FROZEN_AT, frozenClock } from './support/clock.js';
import { expectProblem, postJson } from './support/http.js';
import { captureLogger } from './support/logger.js';
import { baseOptions, serve } from './support/options.js';
import { SECRET } from './support/tokens.js';

const TURN_SECRET = generateSecret();
const URLS = ['turn:127.0.0.1:3478?transport=udp', 'turns:turn.example.test:5349?transport=tcp'];
const NOW_S = Date.parse(FROZEN_AT) / 1000;
const ROOM = 'room-abc';

interface TurnEntry {
  iceServers: { urls: string[]; username: string; credential: string }[];
  expiresAt: string;
}

/** The TURN REST API password for a username, as coturn derives it. */
const passwordFor = (username: string) =>
  createHmac('sha1', Buffer.from(TURN_SECRET, 'utf8')).update(username, 'utf8').digest('base64');

function turnApp(mode: Mode, grant: Grant | undefined, overrides: Partial<ContractOptions> = {}) {
  const clock = frozenClock();
  const options = baseOptions(mode.variant, clock, {
    turn: { secret: TURN_SECRET, urls: URLS },
    ...(grant !== undefined && { authorize: () => grant }),
    ...overrides,
  });
  return serve(mode, options).agent;
}

/** The `turn` entry of a 200 answer, checked to be what coturn accepts for `user` until `expiry`. */
function expectTurnEntry(text: string, user: string, expiry: number): TurnEntry {
  const { tokens } = JSON.parse(text) as { tokens: Record<string, unknown> };
  const entry = tokens.turn as TurnEntry;
  const username = `${expiry}:${user}`;
  expect(entry).toEqual({
    iceServers: [{ urls: URLS, username, credential: passwordFor(username) }],
    expiresAt: new Date(expiry * 1000).toISOString(),
  });
  return entry;
}

describe.each(MODES)('TURN through $label', (mode) => {
  it('"turn": true alone gives tokens.turn with iceServers coturn accepts, 12 hours by default', async () => {
    const res = await postJson(turnApp(mode, { role: 'subscriber', turn: true }), { turn: true });
    expect(res.status, res.text).toBe(200);
    expect(Object.keys(JSON.parse(res.text).tokens)).toEqual(['turn']);
    expectTurnEntry(res.text, 'carol', NOW_S + 12 * 3600);
  });

  it('"turn": true beside a room gives the room token and the TURN credentials, for one identity', async () => {
    const agent = turnApp(mode, { role: 'publisher', rooms: [ROOM], transports: 'any', turn: true });
    const res = await postJson(agent, { room: ROOM, turn: true, ttlMinutes: 30 });
    expect(res.status, res.text).toBe(200);
    const body = JSON.parse(res.text) as { identity: string; tokens: Record<string, { token?: string }> };
    expect(Object.keys(body.tokens).sort()).toEqual(['red5pro', 'turn']);
    expect(body.identity).toBe('carol');
    const { payload } = await jwtVerify(body.tokens.red5pro?.token as string, new TextEncoder().encode(SECRET), {
      currentDate: new Date(FROZEN_AT),
    });
    expect(payload.sub).toBe('carol');
    expectTurnEntry(res.text, 'carol', NOW_S + 1800);
  });

  it.each([
    ['a grant without turn', { role: 'publisher', rooms: 'any' } as Grant],
    ['a grant with turn: false', { role: 'publisher', rooms: 'any', turn: false } as Grant],
  ])('refuses "turn": true with 403 for %s, and issues nothing else in its place', async (_, grant) => {
    const agent = turnApp(mode, grant);
    expectProblem(await postJson(agent, { turn: true }), 403, 'forbidden');
    const withRoom = await postJson(agent, { room: ROOM, turn: true });
    const problem = expectProblem(withRoom, 403, 'forbidden');
    expect(problem.detail).toMatch(/TURN credentials are not granted/);
    expect(withRoom.text).not.toContain('token"');
  });

  it('gives no TURN credentials by default (no authorize hook)', async () => {
    const agent = turnApp(mode, undefined);
    expectProblem(await postJson(agent, { room: ROOM, turn: true }), 403, 'forbidden');
    expect((await postJson(agent, { room: ROOM })).status).toBe(200);
  });

  it.each([false, 'true', 1, null, {}, ['turn']])('refuses "turn": %j with 400', async (value) => {
    const res = await postJson(turnApp(mode, { role: 'publisher', rooms: 'any', turn: true }), {
      room: ROOM,
      turn: value,
    });
    const problem = expectProblem(res, 400, 'invalid_request');
    expect(problem.detail).toMatch(/turn must be true/);
  });

  it('refuses "turn": true with 400 when TURN is not configured, as any platform that is not', async () => {
    const clock = frozenClock();
    const agent = serve(
      mode,
      baseOptions(mode.variant, clock, { authorize: () => ({ role: 'publisher', rooms: 'any', turn: true }) }),
    ).agent;
    const problem = expectProblem(await postJson(agent, { room: ROOM, turn: true }), 400, 'invalid_request');
    expect(problem.detail).toMatch(/issues no tokens for "turn"/);
  });

  it.each([
    ['the request chooses below the default', { ttlMinutes: 45 }, {}, {}, 45 * 60],
    ['the grant caps the default', {}, { ttlMinutes: 10 }, {}, 600],
    ['the grant caps the request', { ttlMinutes: 120 }, { ttlMinutes: 60 }, {}, 3600],
    ['the option is the longest', { ttlMinutes: 600 }, {}, { ttlMinutes: 90 }, 90 * 60],
    ['the option is the default', {}, {}, { ttlMinutes: 90 }, 90 * 60],
  ])('lifetime: %s', async (_, requested, granted, option, seconds) => {
    const agent = turnApp(
      mode,
      { role: 'subscriber', turn: true, ...granted },
      { turn: { secret: TURN_SECRET, urls: URLS, ...option } },
    );
    const res = await postJson(agent, { turn: true, ...requested });
    expect(res.status, res.text).toBe(200);
    expectTurnEntry(res.text, 'carol', NOW_S + seconds);
  });

  it('audits the issue with its expiry, never the credentials', async () => {
    const captured = captureLogger();
    const agent = turnApp(mode, { role: 'subscriber', turn: true }, { logger: captured.logger });
    const res = await postJson(agent, { turn: true });
    expect(res.status).toBe(200);
    const { credential, username } = (JSON.parse(res.text).tokens.turn as TurnEntry).iceServers[0] ?? {};
    expect(captured.text()).toContain('"turn":"2026-11-22T19:00:00.000Z"');
    expect(captured.text()).not.toContain(credential);
    expect(captured.text()).not.toContain(username);
  });
});

describe('TURN user ids', () => {
  it('a user id the TURN username cannot carry is refused by checkUserId, naming the turn token, not the id', () => {
    const issuer = createTokenIssuer({ identify: () => null, turn: { secret: TURN_SECRET, urls: URLS } });
    let caught: unknown;
    try {
      issuer.checkUserId('team:alice');
    } catch (error) {
      caught = error;
    }
    expect(isRoomkeyError(caught, 'invalid_claim')).toBe(true);
    expect((caught as Error).message).toMatch(/^turn tokens cannot carry it: .*contains ":"/);
    expect((caught as Error).message).not.toContain('team:alice');
    expect(() => issuer.checkUserId('alice')).not.toThrow();
  });

  it("an identify answering such an id gets 500 (the app's mistake), logged, with no credentials", async () => {
    const [mode] = MODES as [Mode];
    const captured = captureLogger();
    const agent = turnApp(
      mode,
      { role: 'subscriber', turn: true },
      { identify: () => ({ id: 'team:alice' }), logger: captured.logger },
    );
    const res = await postJson(agent, { turn: true });
    expectProblem(res, 500, 'internal_error');
    expect(res.text).not.toContain('iceServers');
    expect(captured.text()).toMatch(/turn token cannot be signed.*the TURN user id contains/);
  });
});
