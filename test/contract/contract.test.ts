/**
 * The HTTP contract of DESIGN.md, run against every framework variant (Express 4 and 5, Koa 2
 * and 3, Fastify 4 and 5, Hono 4 on @hono/node-server, a bare Fetch API handler given real
 * `Request`s), each without and (where the framework has one) with the app's own JSON body
 * parsing first (for Fastify: its default JSON parser, or roomkey reading the raw body through
 * `tokenRoutes`). The
 * apps are real, the packages are the built ones, and tokens are checked by jose as well as
 * by roomkey's own verifier.
 */

import type { AuditEvent, AuthorizeContext, DeniedEvent, Grant, IssuedEvent, Role } from '@roomkey/core';
import { createRed5ProSigner, HttpProblem, verifyRed5ProToken } from '@roomkey/core';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { type ContractOptions, type Framework, MODES, type Mode, VARIANTS } from './apps.js';
import { epochSeconds, FROZEN_AT, frozenClock } from './support/clock.js';
import { OPEN } from './support/grants.js';
import {
  type Agent,
  expectProblem,
  expectTokenResponse,
  normalise,
  postChunked,
  postJson,
  postRaw,
  type Response,
  type Test,
  tokensIn,
} from './support/http.js';
import { API_KEYS, AUTHORIZATION_VALUES, bearer } from './support/identity.js';
import { captureLogger } from './support/logger.js';
import { baseOptions, serve } from './support/options.js';
import {
  DEFAULT_CAP_SECONDS,
  JWT_LIKE,
  RED5PRO_ACTIONS,
  RED5PRO_ROLES_CLAIM,
  SECRET,
  tokenParts,
  verifyWithJose,
  verifyWithRoomkey,
} from './support/tokens.js';

const ROLES: readonly Role[] = ['subscriber', 'publisher-only', 'publisher', 'moderator'];
/** DESIGN.md: moderator ⊇ publisher ⊇ subscriber, publisher ⊇ publisher-only. */
const INCLUDES: Readonly<Record<Role, readonly Role[]>> = {
  subscriber: ['subscriber'],
  'publisher-only': ['publisher-only'],
  publisher: ['publisher', 'publisher-only', 'subscriber'],
  moderator: ['moderator', 'publisher', 'publisher-only', 'subscriber'],
};
const MAX_BODY = 16 * 1024;
const GENERIC_500 = 'The token service failed; the error has been logged.';
/** Put into every error the app's callbacks throw: it must never reach a response body. */
const LEAK = 'LEAK-7c1e-internal-detail';

/** A request the app's own body parser answers before roomkey runs, for the given frameworks. */
interface Case {
  readonly name: string;
  readonly send: (agent: Agent) => Test;
  /**
   * Frameworks whose body parser (when mounted) rejects this request itself, with the same status.
   * Fastify's parser answers before roomkey for an empty or malformed JSON body, a `__proto__`
   * key, and a media type it has no parser for (none, a form, `+json` types, a malformed one).
   */
  readonly parserOwned?: readonly Framework[];
  /** Text the answer must not echo back. */
  readonly mustNotEcho?: string;
}

function ownedByParser(kase: Case, mode: Mode): boolean {
  return mode.bodyParser && (kase.parserOwned ?? []).includes(mode.variant.framework);
}

const PARSER_CODES: Readonly<Record<number, string>> = { 400: 'invalid_request', 415: 'unsupported_media_type' };

/**
 * The answer of a request the app's own parser refused: same status, never a token. Under
 * Fastify, `tokenErrorHandler()` on the route makes it the contract's problem, detail aside.
 */
function expectParserAnswer(res: Response, status: number, mode: Mode): void {
  if (mode.variant.framework === 'fastify') {
    expectProblem(res, status, PARSER_CODES[status] as string);
    return;
  }
  expect(res.status, res.text).toBe(status);
  expect(res.text).not.toMatch(JWT_LIKE);
}

const ROOM = 'room-abc';
const padded = (size: number) => {
  const start = `{"room":"${ROOM}"`;
  return `${start}${' '.repeat(size - start.length - 1)}}`;
};
/** A JSON body of more than 16 KiB of content (not whitespace): an unknown field carrying a long value. */
const OVERSIZED = JSON.stringify({ room: ROOM, filler: 'x'.repeat(MAX_BODY) });

const INVALID_REQUESTS: readonly Case[] = [
  {
    name: 'invalid JSON',
    send: (a) => postRaw(a, '{"room": "room-abc"', 'application/json'),
    parserOwned: ['express', 'koa', 'fastify', 'hono'],
  },
  // Fastify's and Hono's JSON parsing find no JSON in an empty body (express.json() and
  // @koa/bodyparser read it as {}).
  { name: 'an empty body', send: (a) => postRaw(a, '', 'application/json'), parserOwned: ['fastify', 'hono'] },
  { name: 'a JSON string', send: (a) => postRaw(a, '"room-abc"', 'application/json'), parserOwned: ['express', 'koa'] },
  { name: 'JSON null', send: (a) => postRaw(a, 'null', 'application/json'), parserOwned: ['express', 'koa'] },
  { name: 'a JSON array', send: (a) => postJson(a, [{ room: ROOM }]) },
  { name: 'an unknown field', send: (a) => postJson(a, { room: ROOM, admin: true }) },
  {
    name: 'an unknown field named like a token',
    send: (a) => postJson(a, { room: ROOM, 'eyJhbGciOiJub25lIn0.e30.x': 1 }),
    mustNotEcho: 'eyJhbGciOiJub25lIn0',
  },
  {
    name: 'a __proto__ key',
    send: (a) => postRaw(a, '{"room":"room-abc","__proto__":{"role":"moderator"}}', 'application/json'),
    parserOwned: ['koa', 'fastify'],
  },
  { name: 'a constructor key', send: (a) => postRaw(a, '{"room":"room-abc","constructor":{}}', 'application/json') },
  { name: 'room of the wrong type', send: (a) => postJson(a, { room: 42 }) },
  { name: 'room as an array', send: (a) => postJson(a, { room: [ROOM] }) },
  { name: 'transports as a string', send: (a) => postJson(a, { room: ROOM, transports: 'WHIP' }) },
  { name: 'an empty transports list', send: (a) => postJson(a, { room: ROOM, transports: [] }) },
  { name: 'an unknown transport', send: (a) => postJson(a, { room: ROOM, transports: ['SRT'] }) },
  {
    name: 'a transport with a comma',
    send: (a) => postJson(a, { room: ROOM, transports: ['WHIP,RTMP'] }),
    mustNotEcho: 'WHIP,RTMP',
  },
  {
    name: 'a room with a comma',
    send: (a) => postJson(a, { room: 'room-a,room-b' }),
    mustNotEcho: 'room-a,room-b',
  },
  {
    name: 'a room with a Cyrillic look-alike letter',
    send: (a) => postJson(a, { room: 'r\u043eom-abc' }),
    mustNotEcho: 'r\u043eom',
  },
  { name: 'a room with a fullwidth comma', send: (a) => postJson(a, { room: 'room-a\uff0croom-b' }) },
  { name: 'a room with a space', send: (a) => postJson(a, { room: 'room abc' }) },
  { name: 'an empty room', send: (a) => postJson(a, { room: '' }) },
  { name: 'a room starting with a dot', send: (a) => postJson(a, { room: '.hidden' }) },
  { name: 'a room of 129 characters', send: (a) => postJson(a, { room: 'r'.repeat(129) }) },
  { name: 'ttlMinutes 0', send: (a) => postJson(a, { room: ROOM, ttlMinutes: 0 }) },
  { name: 'ttlMinutes -1', send: (a) => postJson(a, { room: ROOM, ttlMinutes: -1 }) },
  { name: 'ttlMinutes 1.5', send: (a) => postJson(a, { room: ROOM, ttlMinutes: 1.5 }) },
  { name: 'ttlMinutes "30"', send: (a) => postJson(a, { room: ROOM, ttlMinutes: '30' }) },
  { name: 'ttlMinutes null', send: (a) => postJson(a, { room: ROOM, ttlMinutes: null }) },
  { name: 'ttlMinutes beyond 30 days', send: (a) => postJson(a, { room: ROOM, ttlMinutes: 30 * 24 * 60 + 1 }) },
  { name: "role 'admin'", send: (a) => postJson(a, { room: ROOM, role: 'admin' }) },
  { name: "role 'Publisher' (case)", send: (a) => postJson(a, { room: ROOM, role: 'Publisher' }) },
  { name: 'no room', send: (a) => postJson(a, {}) },
  { name: 'a role but no room', send: (a) => postJson(a, { role: 'subscriber' }) },
  {
    name: 'a channel when no platform issues chat tokens',
    send: (a) => postJson(a, { room: ROOM, channel: 'channel-global' }),
  },
  { name: 'a channel alone', send: (a) => postJson(a, { channel: 'channel-global' }) },
  {
    name: 'a session when no platform issues Vonage tokens',
    send: (a) => postJson(a, { room: ROOM, session: '1_MX4xMjM0NTY3OH4' }),
  },
];

const UNSUPPORTED_MEDIA: readonly Case[] = [
  { name: 'text/plain', send: (a) => postRaw(a, JSON.stringify({ room: ROOM }), 'text/plain') },
  {
    name: 'application/x-www-form-urlencoded',
    send: (a) => postRaw(a, `room=${ROOM}`, 'application/x-www-form-urlencoded'),
    parserOwned: ['fastify'],
  },
  {
    name: 'no Content-Type',
    send: (a) => postRaw(a, JSON.stringify({ room: ROOM }), undefined),
    parserOwned: ['fastify'],
  },
  {
    name: 'application/json; charset=latin1',
    send: (a) => postRaw(a, JSON.stringify({ room: ROOM }), 'application/json; charset=latin1'),
    // express.json() refuses the charset itself (415 from the framework's error handler).
    parserOwned: ['express'],
  },
  {
    name: 'application/json-patch+json',
    send: (a) => postRaw(a, JSON.stringify({ room: ROOM }), 'application/json-patch+json'),
    parserOwned: ['fastify'],
  },
  {
    name: 'a malformed Content-Type',
    send: (a) => postRaw(a, JSON.stringify({ room: ROOM }), 'application/'),
    parserOwned: ['fastify'],
  },
];

describe.each(MODES)('$label', (mode) => {
  const { variant, bodyParser } = mode;
  const clock = frozenClock();
  const now = () => epochSeconds(clock);
  const app = (overrides: Partial<ContractOptions> = {}, signer = {}) =>
    serve(mode, baseOptions(variant, clock, overrides, signer)).agent;

  beforeEach(() => {
    clock.set(FROZEN_AT);
  });

  describe('200: a token the platform accepts', () => {
    it('answers the contract body with Cache-Control: no-store', async () => {
      const res = await postJson(app(), { room: ROOM });
      const body = expectTokenResponse(res);
      expect(body).toMatchObject({ identity: 'carol', role: 'subscriber' });
      expect(body.tokens.red5pro.expiresAt).toBe(new Date((now() + DEFAULT_CAP_SECONDS) * 1000).toISOString());
    });

    it('signs a token that jose and verifyRed5ProToken both accept, with exactly the contract claims', async () => {
      const res = await postJson(app(), { room: ROOM });
      const { token, expiresAt } = expectTokenResponse(res).tokens.red5pro;

      const payload = await verifyWithJose(token, clock);
      expect(payload).toEqual({
        sub: 'carol',
        roles: 'red5-subscriber',
        'red5-room': ROOM,
        iat: now(),
        exp: now() + DEFAULT_CAP_SECONDS,
        jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
      });
      expect(expiresAt).toBe(new Date((payload.exp as number) * 1000).toISOString());

      const verified = await verifyWithRoomkey(token, clock, { room: ROOM, role: 'subscriber' }, 60);
      expect(verified).toMatchObject({ subject: 'carol', rooms: [ROOM], roles: ['red5-subscriber'] });
      expect(verified.expiresAt.toISOString()).toBe(expiresAt);
    });

    it('never copies identity fields into the token (the identity carries an e-mail address)', async () => {
      const { token } = expectTokenResponse(await postJson(app(), { room: ROOM })).tokens.red5pro;
      const payload = await verifyWithJose(token, clock);
      expect(JSON.stringify(payload)).not.toContain('@example.test');
      expect(payload.name).toBeUndefined();
    });

    it('writes the grant name, and only it, into the name claim', async () => {
      const res = await postJson(app({ authorize: () => ({ ...OPEN, role: 'subscriber', name: 'Carol C.' }) }), {
        room: ROOM,
      });
      const payload = await verifyWithJose(expectTokenResponse(res).tokens.red5pro.token, clock);
      expect(payload.name).toBe('Carol C.');
    });

    it('signs with the UTF-8 bytes of the secret: another secret does not verify', async () => {
      const { token } = expectTokenResponse(await postJson(app(), { room: ROOM })).tokens.red5pro;
      await expect(verifyWithJose(token, clock, `${SECRET}-other`)).rejects.toThrow();
      await expect(
        verifyRed5ProToken(token, { secret: Buffer.from(SECRET).toString('base64'), clock }),
      ).rejects.toMatchObject({ code: 'signature_invalid' });
    });
  });

  describe('the default grant (no authorize hook): subscriber, the requested room only', () => {
    it('issues a subscriber token for the requested room and no other', async () => {
      const res = await postJson(app(), { room: 'lobby', role: 'subscriber' });
      const body = expectTokenResponse(res);
      expect(body.role).toBe('subscriber');
      const { token } = body.tokens.red5pro;
      await verifyWithRoomkey(token, clock, { room: 'lobby', role: 'subscriber' });
      await expect(verifyWithRoomkey(token, clock, { room: 'stage' })).rejects.toMatchObject({ code: 'room_denied' });
      await expect(verifyWithRoomkey(token, clock, { role: 'publisher' })).rejects.toMatchObject({
        code: 'role_denied',
      });
    });

    it.each(['publisher', 'publisher-only', 'moderator'] as const)('refuses role %s with 403', async (role) => {
      expectProblem(await postJson(app(), { room: ROOM, role }), 403, 'forbidden');
    });

    it('honours requested transports (the default grant does not restrict them)', async () => {
      const res = await postJson(app(), { room: ROOM, transports: ['whep'] });
      const payload = await verifyWithJose(expectTokenResponse(res).tokens.red5pro.token, clock);
      expect(payload['red5-transport']).toBe('WHEP');
    });

    it('writes no red5-transport claim when none is requested or granted', async () => {
      const payload = await verifyWithJose(
        expectTokenResponse(await postJson(app(), { room: ROOM })).tokens.red5pro.token,
        clock,
      );
      expect(payload).not.toHaveProperty('red5-transport');
    });
  });

  describe('the role lattice with an authorize hook', () => {
    const cases = ROLES.flatMap((granted) =>
      [...ROLES, undefined].map((requested) => {
        const issued = requested ?? granted;
        return { granted, requested, expected: INCLUDES[granted].includes(issued) ? issued : 403 } as const;
      }),
    );

    it.each(cases)('grant $granted, request $requested → $expected', async ({ granted, requested, expected }) => {
      const agent = app({ authorize: () => ({ ...OPEN, role: granted, rooms: 'any' }) });
      const res = await postJson(agent, { room: ROOM, ...(requested !== undefined && { role: requested }) });
      if (expected === 403) {
        expectProblem(res, 403, 'forbidden');
        return;
      }
      const body = expectTokenResponse(res);
      expect(body.role).toBe(expected);
      const { token } = body.tokens.red5pro;
      const payload = await verifyWithJose(token, clock);
      expect(payload.roles).toBe(RED5PRO_ROLES_CLAIM[expected]);
      for (const action of ['publisher', 'subscriber'] as const) {
        const check = verifyWithRoomkey(token, clock, { role: action, room: ROOM });
        if (RED5PRO_ACTIONS[expected].includes(action)) await expect(check).resolves.toBeDefined();
        else await expect(check).rejects.toMatchObject({ code: 'role_denied' });
      }
    });
  });

  describe('rooms and transports against the grant', () => {
    const listed = () => app({ authorize: () => ({ ...OPEN, role: 'publisher', rooms: ['stage', 'Backstage'] }) });

    it('issues for a room in the grant list, and the token names that room only', async () => {
      const res = await postJson(listed(), { room: 'stage' });
      const payload = await verifyWithJose(expectTokenResponse(res).tokens.red5pro.token, clock);
      expect(payload['red5-room']).toBe('stage');
    });

    it.each(['lobby', 'backstage', 'Stage', 'stage-2'])(
      'refuses room %s, not in the grant list, with 403',
      async (room) => {
        expectProblem(await postJson(listed(), { room }), 403, 'forbidden');
      },
    );

    it('refuses every room when the grant lists none', async () => {
      const agent = app({ authorize: () => ({ ...OPEN, role: 'subscriber', rooms: [] }) });
      expectProblem(await postJson(agent, { room: ROOM }), 403, 'forbidden');
    });

    it.each(['a', 'Room_9.x-y', `z${'9'.repeat(127)}`])(
      "issues for any valid room (%s) when the grant says 'any'",
      async (room) => {
        const agent = app({ authorize: () => ({ ...OPEN, role: 'subscriber', rooms: 'any' }) });
        const payload = await verifyWithJose(
          expectTokenResponse(await postJson(agent, { room })).tokens.red5pro.token,
          clock,
        );
        expect(payload['red5-room']).toBe(room);
      },
    );

    const transports = () =>
      app({ authorize: () => ({ ...OPEN, role: 'publisher', rooms: 'any', transports: ['whip', 'WHEP'] }) });

    it('refuses a transport outside the grant with 403', async () => {
      expectProblem(await postJson(transports(), { room: ROOM, transports: ['RTMP'] }), 403, 'forbidden');
      expectProblem(await postJson(transports(), { room: ROOM, transports: ['WHIP', 'RTSP'] }), 403, 'forbidden');
    });

    it('uses the grant transports when the request names none', async () => {
      const { token } = expectTokenResponse(await postJson(transports(), { room: ROOM })).tokens.red5pro;
      expect((await verifyWithJose(token, clock))['red5-transport']).toBe('WHIP,WHEP');
      await verifyWithRoomkey(token, clock, { transport: 'whep' });
      await expect(verifyWithRoomkey(token, clock, { transport: 'RTMP' })).rejects.toMatchObject({
        code: 'transport_denied',
      });
    });

    it('narrows to the requested transports inside the grant, upper-cased and without duplicates', async () => {
      const res = await postJson(transports(), { room: ROOM, transports: ['whep', 'WHEP'] });
      const { token } = expectTokenResponse(res).tokens.red5pro;
      expect((await verifyWithJose(token, clock))['red5-transport']).toBe('WHEP');
      await expect(verifyWithRoomkey(token, clock, { transport: 'WHIP' })).rejects.toMatchObject({
        code: 'transport_denied',
      });
    });
  });

  describe('lifetime: min(request ttlMinutes, grant ttlMinutes, signer cap)', () => {
    const cases: readonly {
      request?: number;
      grant?: number;
      maxTtlMinutes?: number;
      clockSkewSeconds?: number;
      seconds: number;
    }[] = [
      { seconds: 3570 },
      { request: 5, seconds: 300 },
      { grant: 3, seconds: 180 },
      { request: 5, grant: 3, seconds: 180 },
      { request: 2, grant: 7, seconds: 120 },
      { request: 1, seconds: 60 },
      { request: 60, seconds: 3570 },
      { request: 43_200, grant: 43_200, seconds: 3570 },
      { maxTtlMinutes: 10, seconds: 570 },
      { request: 9, maxTtlMinutes: 10, seconds: 540 },
      { request: 10, maxTtlMinutes: 10, seconds: 570 },
      { request: 15, grant: 20, maxTtlMinutes: 10, seconds: 570 },
      { grant: 20, maxTtlMinutes: 10, seconds: 570 },
      { maxTtlMinutes: 10, clockSkewSeconds: 120, seconds: 480 },
    ];

    it.each(cases)('request $request, grant $grant, maxTtlMinutes $maxTtlMinutes → $seconds s', async (kase) => {
      const grant: Grant = { ...OPEN, role: 'subscriber', ...(kase.grant !== undefined && { ttlMinutes: kase.grant }) };
      const agent = app(
        { authorize: () => grant },
        {
          ...(kase.maxTtlMinutes !== undefined && { maxTtlMinutes: kase.maxTtlMinutes }),
          ...(kase.clockSkewSeconds !== undefined && { clockSkewSeconds: kase.clockSkewSeconds }),
        },
      );
      const body = { room: ROOM, ...(kase.request !== undefined && { ttlMinutes: kase.request }) };
      const { token, expiresAt } = expectTokenResponse(await postJson(agent, body)).tokens.red5pro;
      const payload = await verifyWithJose(token, clock);
      expect(payload.iat).toBe(now());
      expect(payload.exp).toBe(now() + kase.seconds);
      expect(expiresAt).toBe(new Date((now() + kase.seconds) * 1000).toISOString());
      await verifyWithRoomkey(token, clock, { room: ROOM }, kase.maxTtlMinutes ?? 60);
    });

    it('takes the time from the injected clock', async () => {
      const agent = app();
      clock.set('2031-02-03T04:05:06.789Z');
      const { token, expiresAt } = expectTokenResponse(await postJson(agent, { room: ROOM })).tokens.red5pro;
      const payload = await verifyWithJose(token, clock);
      expect(payload.iat).toBe(Math.floor(Date.parse('2031-02-03T04:05:06.789Z') / 1000));
      expect(expiresAt).toBe('2031-02-03T05:04:36.000Z');
      clock.advance((DEFAULT_CAP_SECONDS + 1) * 1000);
      await expect(verifyWithJose(token, clock)).rejects.toThrow(/exp/);
    });
  });

  describe('400 invalid_request', () => {
    it.each(INVALID_REQUESTS)('$name', async (kase) => {
      const res = await kase.send(app());
      if (ownedByParser(kase, mode)) return expectParserAnswer(res, 400, mode);
      const problem = expectProblem(res, 400, 'invalid_request');
      if (kase.mustNotEcho !== undefined) expect(res.text).not.toContain(kase.mustNotEcho);
      expect(problem.detail).not.toContain(API_KEYS.carol);
    });

    it('refuses an invalid request before calling identify', async () => {
      let calls = 0;
      const agent = app({
        identify: () => {
          calls++;
          return { id: 'carol' };
        },
      });
      expectProblem(await postJson(agent, { room: ROOM, role: 'admin' }), 400, 'invalid_request');
      expect(calls).toBe(0);
    });
  });

  describe('401 unauthenticated', () => {
    it('answers 401 with WWW-Authenticate when identify returns null', async () => {
      const res = await postJson(app(), { room: ROOM }, null);
      expectProblem(res, 401, 'unauthenticated');
      expect(res.headers['www-authenticate']).toBe('Bearer realm="roomkey"');
    });

    it('answers 401 for an unknown API key, without echoing it', async () => {
      const res = await app()
        .post('/tokens')
        .set('content-type', 'application/json')
        .set('authorization', 'Bearer rk_test_unknown_key_0123456789')
        .send(JSON.stringify({ room: ROOM }));
      expectProblem(res, 401, 'unauthenticated');
      expect(res.text).not.toContain('rk_test_unknown_key');
    });

    it.each([
      ['undefined (sync)', () => undefined],
      ['null (async)', async () => null],
    ])('answers 401 when identify returns %s', async (_name, identify) => {
      expectProblem(await postJson(app({ identify }), { room: ROOM }), 401, 'unauthenticated');
    });

    it('sends the configured challenge', async () => {
      const res = await postJson(app({ wwwAuthenticate: 'ApiKey realm="video"' }), { room: ROOM }, null);
      expectProblem(res, 401, 'unauthenticated');
      expect(res.headers['www-authenticate']).toBe('ApiKey realm="video"');
    });
  });

  describe('403 forbidden', () => {
    it.each([
      ['false (sync)', () => false as const],
      ['false (async)', async () => false as const],
    ])('answers 403 when authorize returns %s', async (_name, authorize) => {
      const res = await postJson(app({ authorize }), { room: ROOM });
      expectProblem(res, 403, 'forbidden');
      expect(res.headers['www-authenticate']).toBeUndefined();
    });
  });

  describe('405 method_not_allowed', () => {
    it.each(['get', 'put', 'delete', 'patch'] as const)('answers %s with 405 and Allow: POST', async (method) => {
      const test = app()[method]('/tokens').set('authorization', bearer('carol'));
      const res = method === 'get' || method === 'delete' ? await test : await test.send({ room: ROOM });
      expectProblem(res, 405, 'method_not_allowed');
      expect(res.headers.allow).toBe('POST');
    });

    it('answers HEAD with 405 and Allow: POST', async () => {
      const res = await app().head('/tokens');
      expect(res.status).toBe(405);
      expect(res.headers.allow).toBe('POST');
      expect(res.headers['cache-control']).toBe('no-store');
    });
  });

  describe('413 payload_too_large (16 KiB)', () => {
    it('refuses a body over 16 KiB sent with Content-Length', async () => {
      expectProblem(await postRaw(app(), OVERSIZED, 'application/json'), 413, 'payload_too_large');
    });

    it('refuses a body over 16 KiB sent chunked', async () => {
      expectProblem(await postChunked(app(), OVERSIZED), 413, 'payload_too_large');
    });

    it('refuses 16385 bytes and accepts exactly 16384', async () => {
      expectProblem(await postRaw(app(), padded(MAX_BODY + 1), 'application/json'), 413, 'payload_too_large');
      expectTokenResponse(await postRaw(app(), padded(MAX_BODY), 'application/json'));
    });

    it('honours a smaller maxBodyBytes, with Content-Length and chunked', async () => {
      const agent = app({ maxBodyBytes: 1024 });
      expectProblem(await postRaw(agent, padded(1025), 'application/json'), 413, 'payload_too_large');
      expectTokenResponse(await postRaw(agent, padded(1024), 'application/json'));
      const content = JSON.stringify({ room: ROOM, filler: 'x'.repeat(1024) });
      expectProblem(await postChunked(agent, content), 413, 'payload_too_large');
    });

    it('checks the size before identify', async () => {
      expectProblem(await postRaw(app(), OVERSIZED, 'application/json', null), 413, 'payload_too_large');
    });
  });

  describe('415 unsupported_media_type', () => {
    it.each(UNSUPPORTED_MEDIA)('$name', async (kase) => {
      const res = await kase.send(app());
      if (ownedByParser(kase, mode)) return expectParserAnswer(res, 415, mode);
      expectProblem(res, 415, 'unsupported_media_type');
    });

    it('accepts application/json; charset=UTF-8', async () => {
      expectTokenResponse(await postRaw(app(), JSON.stringify({ room: ROOM }), 'application/json; charset=UTF-8'));
    });

    it('reads UTF-8 with a byte order mark and non-ASCII text as a body parser would', async () => {
      const bom = await postRaw(app(), `\uFEFF${JSON.stringify({ room: ROOM })}`, 'application/json');
      expectTokenResponse(bom);
      // A non-ASCII room name is decoded (not mangled into a valid one) and refused as a name.
      expectProblem(await postRaw(app(), JSON.stringify({ room: 'räum' }), 'application/json'), 400, 'invalid_request');
    });
  });

  describe('500 internal_error, with no detail of the failure', () => {
    const fail = (): never => {
      throw new Error(`${LEAK}: ${SECRET}`);
    };
    const reject = async (): Promise<never> => fail();
    const cases: readonly [string, Partial<ContractOptions>][] = [
      ['identify throws', { identify: fail }],
      ['identify rejects', { identify: reject }],
      ['identify throws a non-Error', { identify: () => Promise.reject(LEAK) }],
      ['identify returns a number id', { identify: () => ({ id: 42 }) as never }],
      ['identify returns an empty id', { identify: () => ({ id: '' }) }],
      ['identify returns an id with a newline', { identify: () => ({ id: `carol\n${LEAK}` }) }],
      ['identify returns a string', { identify: () => 'carol' as never }],
      ['identify returns false', { identify: () => false as never }],
      ['identify returns an object without id', { identify: async () => ({ user: LEAK }) as never }],
      ['authorize throws', { authorize: fail }],
      ['authorize rejects', { authorize: reject }],
      ['authorize returns undefined', { authorize: () => undefined as never }],
      ['authorize returns true', { authorize: () => true as never }],
      ['authorize returns an unknown role', { authorize: () => ({ ...OPEN, role: 'admin' }) as never }],
      ['authorize returns rooms "all"', { authorize: () => ({ ...OPEN, role: 'subscriber', rooms: 'all' }) as never }],
      ['authorize returns a room with a comma', { authorize: () => ({ ...OPEN, role: 'subscriber', rooms: ['a,b'] }) }],
      [
        'authorize returns an unknown transport',
        { authorize: () => ({ ...OPEN, role: 'subscriber', transports: [LEAK] }) },
      ],
      ['authorize returns ttlMinutes 0', { authorize: () => ({ ...OPEN, role: 'subscriber', ttlMinutes: 0 }) }],
      ['onIssued throws', { onIssued: fail }],
      ['onIssued rejects', { onIssued: reject }],
    ];

    it.each(cases)('%s', async (_name, overrides) => {
      const logged = captureLogger();
      const res = await postJson(app({ ...overrides, logger: logged.logger }), { room: ROOM });
      const problem = expectProblem(res, 500, 'internal_error');
      expect(problem.detail).toBe(GENERIC_500);
      expect(res.text).not.toContain(LEAK);
      expect(res.text).not.toContain(SECRET);
      expect(res.text).not.toMatch(/identify|authorize|onIssued|\bat\s/);
      expect(logged.levels()).toContain('error');
    });

    it('without a logger, reports the failure on stderr so that a 500 is never unseen (nothing was written)', async () => {
      const written: string[] = [];
      const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
        written.push(String(chunk));
        return true;
      });
      try {
        const agent = app({
          identify: () => {
            throw new Error('session store unreachable at 10.0.0.7');
          },
        });
        const res = await postJson(agent, { room: ROOM });
        expect(expectProblem(res, 500, 'internal_error').detail).toBe(GENERIC_500);
        // A refusal is no failure: nothing on stderr for it.
        const refused = await postJson(app(), { room: ROOM }, null);
        expect(refused.status).toBe(401);
      } finally {
        spy.mockRestore();
      }
      const text = written.join('');
      expect(text).toMatch(/^roomkey: the app's identify callback failed/);
      expect(text).toContain('Error: session store unreachable at 10.0.0.7');
      expect(text).toMatch(/\n +at /);
      expect(text).not.toContain(API_KEYS.carol);
      expect(written).toHaveLength(1);
    });

    it('answers 500 when onDenied throws, for a request that would have been refused', async () => {
      const res = await postJson(app({ onDenied: fail }), { room: ROOM }, null);
      expect(expectProblem(res, 500, 'internal_error').detail).toBe(GENERIC_500);
      expect(res.text).not.toContain(LEAK);
    });
  });

  describe('callbacks', () => {
    const flavours = [
      ['sync', 'sync'],
      ['sync', 'async'],
      ['async', 'sync'],
      ['async', 'async'],
    ] as const;

    it.each(flavours)('accepts a %s identify and a %s authorize', async (identifyKind, authorizeKind) => {
      const identity = { id: 'dave' };
      const grant: Grant = { ...OPEN, role: 'publisher', rooms: [ROOM] };
      const agent = app({
        identify: identifyKind === 'sync' ? () => identity : async () => identity,
        authorize: authorizeKind === 'sync' ? () => grant : async () => grant,
      });
      const body = expectTokenResponse(await postJson(agent, { room: ROOM, role: 'publisher-only' }));
      expect(body).toMatchObject({ identity: 'dave', role: 'publisher-only' });
    });

    it('gives identify the native request and authorize { identity, request, nativeRequest, protocol }', async () => {
      const seen: { identify?: unknown; authorize?: Record<string, unknown> } = {};
      const identity = { id: 'erin', plan: 'pro' };
      const { agent, app: nativeApp } = serve(
        mode,
        baseOptions(variant, clock, {
          identify: (native: unknown) => {
            seen.identify = native;
            return variant.header(native, 'authorization') === bearer('erin') ? identity : null;
          },
          authorize: (context: AuthorizeContext<unknown>) => {
            seen.authorize = context as unknown as Record<string, unknown>;
            return { ...OPEN, role: 'moderator', rooms: 'any' };
          },
        }),
      );
      const res = await postJson(agent, { room: ROOM, role: 'publisher', transports: ['whip'], ttlMinutes: 5 }, 'erin');
      expectTokenResponse(res);
      expect(variant.isNative(seen.identify, nativeApp)).toBe(true);
      expect(Object.keys(seen.authorize ?? {}).sort()).toEqual(['identity', 'nativeRequest', 'protocol', 'request']);
      expect(seen.authorize?.identity).toBe(identity);
      expect(seen.authorize?.protocol).toBe('roomkey');
      expect(seen.authorize?.nativeRequest).toBe(seen.identify);
      expect(seen.authorize?.request).toEqual({ room: ROOM, role: 'publisher', transports: ['WHIP'], ttlMinutes: 5 });
    });

    it('answers an HttpProblem that identify or authorize throws as it is (a 401 challenge, a 502)', async () => {
      const challenge = 'Bearer realm="app", error="invalid_token", error_description="The access token expired"';
      const expired = app({
        identify: () => {
          throw new HttpProblem('unauthenticated', 'The access token expired.', { 'www-authenticate': challenge });
        },
      });
      const res = await postJson(expired, { room: ROOM });
      expect(expectProblem(res, 401, 'unauthenticated').detail).toBe('The access token expired.');
      expect(res.headers['www-authenticate']).toBe(challenge);

      const down = app({
        authorize: async () => {
          throw new HttpProblem('upstream_error', 'The identity provider did not answer.');
        },
      });
      expectProblem(await postJson(down, { room: ROOM }), 502, 'upstream_error');
    });

    if (bodyParser) {
      it('reuses the body the app parser already read', async () => {
        let request: unknown;
        const agent = app({
          authorize: ({ request: parsed }) => {
            request = parsed;
            return { ...OPEN, role: 'subscriber' };
          },
        });
        expectTokenResponse(await postJson(agent, { room: ROOM, ttlMinutes: 3 }));
        expect(request).toEqual({ room: ROOM, ttlMinutes: 3 });
      });
    }
  });

  describe('audit events', () => {
    function audited(overrides: Partial<ContractOptions> = {}) {
      const events: AuditEvent[] = [];
      const agent = app({
        authorize: ({ identity }) =>
          identity.id === 'dave' ? false : { role: 'publisher', rooms: 'any', transports: ['WHIP', 'WHEP'] },
        onIssued: (event) => {
          events.push(event);
        },
        onDenied: async (event) => {
          events.push(event);
        },
        ...overrides,
      });
      return { agent, events };
    }

    it('sends onIssued the issued event, and never a token', async () => {
      const { agent, events } = audited();
      const res = await postJson(agent, { room: ROOM, role: 'publisher-only', transports: ['whip'] });
      const { token, expiresAt } = expectTokenResponse(res).tokens.red5pro;
      expect(events).toHaveLength(1);
      const event = events[0] as IssuedEvent;
      expect(event).toMatchObject({
        type: 'issued',
        userId: 'carol',
        role: 'publisher-only',
        rooms: [ROOM],
        transports: ['WHIP'],
        expiresAt: { red5pro: expiresAt },
        time: FROZEN_AT,
        requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      });
      const text = JSON.stringify(event);
      for (const part of tokenParts(token)) expect(text).not.toContain(part);
      expect(text).not.toMatch(JWT_LIKE);
      expect(text).not.toContain(SECRET);
    });

    it.each([
      ['400', (a: Agent) => postJson(a, { room: 'a,b' }), 400, 'invalid_request', undefined],
      ['401', (a: Agent) => postJson(a, { room: ROOM }, null), 401, 'unauthenticated', undefined],
      ['403', (a: Agent) => postJson(a, { room: ROOM }, 'dave'), 403, 'forbidden', 'dave'],
      [
        '403 outside the grant',
        (a: Agent) => postJson(a, { room: ROOM, role: 'moderator' }),
        403,
        'forbidden',
        'carol',
      ],
      ['405', (a: Agent) => a.get('/tokens'), 405, 'method_not_allowed', undefined],
      ['413', (a: Agent) => postRaw(a, OVERSIZED, 'application/json'), 413, 'payload_too_large', undefined],
      ['415', (a: Agent) => postRaw(a, '{}', 'text/plain'), 415, 'unsupported_media_type', undefined],
    ] as const)('sends onDenied a denied event for %s', async (_name, send, status, code, userId) => {
      const { agent, events } = audited();
      const res = await send(agent);
      expect(res.status).toBe(status);
      expect(events).toHaveLength(1);
      const event = events[0] as DeniedEvent;
      expect(event).toMatchObject({ type: 'denied', status, code, reason: expect.any(String), userId });
      expect(event.reason.length).toBeGreaterThan(0);
      expect(JSON.stringify(event)).not.toContain(API_KEYS.carol);
      expect(JSON.stringify(event)).not.toContain(API_KEYS.dave);
    });

    it.each([
      [
        'throws',
        () => {
          throw new Error(LEAK);
        },
      ],
      [
        'rejects',
        async () => {
          throw new Error(LEAK);
        },
      ],
    ])('answers 500 with no token when onIssued %s', async (_name, onIssued) => {
      const { agent, events } = audited({ onIssued });
      const res = await postJson(agent, { room: ROOM });
      expect(expectProblem(res, 500, 'internal_error').detail).toBe(GENERIC_500);
      expect(res.text).not.toContain(LEAK);
      expect(tokensIn(res)).toEqual([]);
      expect(events).toEqual([]);
    });
  });

  describe('logging', () => {
    it('never logs a token, the secret or an Authorization value over many requests', async () => {
      const logged = captureLogger();
      const agent = app({
        logger: logged.logger,
        authorize: ({ identity, request }) => {
          if (request.room === 'authorize-fails') throw new Error('grant store down');
          if (identity.id === 'dave') return false;
          return { ...OPEN, role: identity.id === 'erin' ? 'moderator' : 'publisher', rooms: 'any', name: identity.id };
        },
        onIssued: (event) => {
          if (event.rooms.includes('audit-fails')) throw new Error('audit store down');
        },
      });
      const sends: ((a: Agent) => Test)[] = [
        ...ROLES.map((role) => (a: Agent) => postJson(a, { room: ROOM, role }, 'erin')),
        ...ROLES.slice(0, 3).map((role) => (a: Agent) => postJson(a, { room: `room-${role}`, role, ttlMinutes: 7 })),
        (a) => postJson(a, { room: ROOM, transports: ['whip', 'whep'] }),
        (a) => postJson(a, { room: ROOM, role: 'moderator' }),
        (a) => postJson(a, { room: ROOM }, 'dave'),
        (a) => postJson(a, { room: ROOM }, null),
        (a) => postJson(a, { room: ROOM }, 'boom'),
        (a) => postJson(a, { room: 'authorize-fails' }),
        (a) => postJson(a, { room: 'audit-fails' }),
        (a) => postJson(a, { room: ROOM, ttlMinutes: 0 }),
        (a) => postJson(a, { room: 'a,b' }),
        (a) => postRaw(a, '{"room":', 'application/json'),
        (a) => postRaw(a, '{}', 'text/plain'),
        (a) => postRaw(a, OVERSIZED, 'application/json'),
        (a) => postChunked(a, OVERSIZED),
        (a) => a.get('/tokens').set('authorization', bearer('carol')),
        (a) => a.put('/tokens').set('authorization', bearer('erin')).send({ room: ROOM }),
        (a) =>
          a
            .post('/tokens')
            .set('authorization', 'Bearer rk_test_not_a_known_key')
            .set('content-type', 'application/json')
            .send(JSON.stringify({ room: ROOM })),
      ];
      const responses: Response[] = [];
      for (const send of sends) responses.push(await send(agent));

      const tokens = responses.flatMap(tokensIn);
      expect(tokens.length).toBeGreaterThanOrEqual(8);
      const statuses = new Set(responses.map((res) => res.status));
      for (const status of [200, 400, 401, 403, 405, 413, 415, 500]) expect(statuses).toContain(status);

      const text = logged.text();
      // The log is not empty and holds the failures' stacks: the absence checks below mean something.
      expect(logged.levels()).toEqual(expect.arrayContaining(['info', 'warn', 'error']));
      expect(text).toContain('session store unreachable');
      expect(text).toContain('audit store down');
      expect(text).toMatch(/"stack":"Error: /);

      for (const token of tokens) for (const part of tokenParts(token)) expect(text).not.toContain(part);
      expect(text).not.toMatch(JWT_LIKE);
      expect(text).not.toContain(SECRET);
      for (const value of [...AUTHORIZATION_VALUES, 'Bearer rk_test_not_a_known_key']) {
        expect(text).not.toContain(value.slice('Bearer '.length));
      }
    });
  });

  it('answers the same with a frozen (deep-frozen) options object, which it leaves untouched', async () => {
    const logged = captureLogger();
    const options = deepFreeze(
      baseOptions(variant, clock, {
        authorize: () => ({ ...OPEN, role: 'publisher', rooms: ['stage'], transports: ['WHIP'], ttlMinutes: 5 }),
        logger: logged.logger,
        onIssued: () => {},
        onDenied: () => {},
        wwwAuthenticate: 'Bearer realm="frozen"',
        maxBodyBytes: 4096,
      }),
    );
    const snapshot = structuralCopy(options);
    const agent = serve(mode, options).agent;
    const body = expectTokenResponse(await postJson(agent, { room: 'stage' }));
    expect((await verifyWithJose(body.tokens.red5pro.token, clock)).exp).toBe(now() + 300);
    expectProblem(await postJson(agent, { room: 'lobby' }), 403, 'forbidden');
    expectProblem(await postJson(agent, { room: 'stage' }, null), 401, 'unauthenticated');
    expect(options).toStrictEqual(snapshot);
  });
});

describe.each(VARIANTS)('options are checked once, by $name issueTokens() itself', (variant) => {
  const clock = frozenClock();
  const valid = () => baseOptions(variant, clock);

  const invalid: readonly (readonly [string, unknown, RegExp])[] = [
    ['no options', undefined, /options/],
    ['a missing identify', { red5pro: { secret: SECRET } }, /identify/],
    ['an identify that is not a function', { identify: 'carol', red5pro: { secret: SECRET } }, /identify/],
    ['no platform', { identify: () => null }, /platform/],
    ['an empty platforms list', { identify: () => null, platforms: [] }, /platform/],
    ['a short secret', { identify: () => null, red5pro: { secret: 'short-secret-31-bytes-long-xxxx' } }, /too short/],
    ['a missing secret', { identify: () => null, red5pro: {} }, /secret/],
    [
      "the sample secret from Red5's documentation",
      { identify: () => null, red5pro: { secret: 'changeme-to-a-strong-32-byte-secret-key' } },
      /sample secret/,
    ],
    ['maxTtlMinutes 0', { identify: () => null, red5pro: { secret: SECRET, maxTtlMinutes: 0 } }, /maxTtlMinutes/],
    [
      'an authorize that is not a function',
      { identify: () => null, authorize: {}, red5pro: { secret: SECRET } },
      /authorize/,
    ],
    ['a logger without methods', { identify: () => null, logger: {}, red5pro: { secret: SECRET } }, /logger/],
    [
      'maxBodyBytes over 16 KiB',
      { identify: () => null, maxBodyBytes: 16_385, red5pro: { secret: SECRET } },
      /maxBodyBytes/,
    ],
    ['a clock without now()', { identify: () => null, clock: {}, red5pro: { secret: SECRET } }, /clock/],
    [
      'a misspelt authorize, which would have left every caller on the default grant',
      { identify: () => null, authorise: () => ({ role: 'moderator' }), red5pro: { secret: SECRET } },
      /^issueTokens: unknown option "authorise" \(did you mean "authorize"\?\)/,
    ],
    [
      'an option in the wrong case',
      { identify: () => null, requireHTTPS: true, red5pro: { secret: SECRET } },
      /unknown option "requireHTTPS" \(did you mean "requireHttps"\?\)/,
    ],
    [
      'an unknown option with nothing near',
      { identify: () => null, frobnicate: 1, red5pro: { secret: SECRET } },
      /unknown option "frobnicate"; known options: identify, authorize/,
    ],
    [
      'a misspelt signer option',
      { identify: () => null, red5pro: { secret: SECRET, maxTtlMinute: 30 } },
      /red5pro: unknown option "maxTtlMinute" \(did you mean "maxTtlMinutes"\?\)/,
    ],
    [
      'a misspelt rate limit',
      { identify: () => null, rateLimit: { failure: { points: 3, duration: 60 } }, red5pro: { secret: SECRET } },
      /rateLimit: unknown option "failure" \(did you mean "failures"\?\)/,
    ],
    [
      'a misspelt rate-limit window',
      { identify: () => null, rateLimit: { issued: { points: 3, durationSeconds: 60 } }, red5pro: { secret: SECRET } },
      /rateLimit.issued: unknown option "durationSeconds"/,
    ],
  ];

  it.each(invalid)('throws a TypeError for %s', (_name, options, message) => {
    let thrown: unknown;
    try {
      variant.issueTokens(options as unknown as ContractOptions);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TypeError);
    expect((thrown as TypeError).message).toMatch(message);
    expect((thrown as TypeError).message).not.toContain(SECRET);
    expect((thrown as TypeError).message).not.toContain('short-secret-31-bytes-long-xxxx');
  });

  it('accepts valid options, deep-frozen, and a ready-made signer', () => {
    expect(typeof variant.issueTokens(deepFreeze(valid()))).toBe('function');
    const signer = createRed5ProSigner({ secret: SECRET, clock });
    expect(typeof variant.issueTokens({ identify: () => null, red5pro: signer })).toBe('function');
  });

  it('does not mutate the options object', () => {
    const options = valid();
    const snapshot = structuralCopy(options);
    variant.issueTokens(options);
    expect(options).toStrictEqual(snapshot);
  });
});

describe('every variant answers identically', () => {
  /** One set of options for every app: one user per outcome. */
  const comparisonOptions = (mode: Mode, clock: ReturnType<typeof frozenClock>) =>
    baseOptions(
      mode.variant,
      clock,
      {
        authorize: ({ identity }) => {
          if (identity.id === 'dave') return false;
          if (identity.id === 'erin')
            return { ...OPEN, role: 'publisher-only', rooms: ['stage'], transports: ['WHIP'], ttlMinutes: 5 };
          return { ...OPEN, role: 'publisher', rooms: 'any' };
        },
        onIssued: (event) => {
          if (event.rooms.includes('audit-fails')) throw new Error('audit store down');
        },
      },
      { maxTtlMinutes: 30 },
    );

  interface Compared extends Case {
    /** The empty body: a body parser turns it into `{}`, roomkey alone finds no JSON (both 400). */
    readonly detailDependsOnParser?: boolean;
  }

  const REQUESTS: readonly Compared[] = [
    { name: '200 default', send: (a) => postJson(a, { room: ROOM }) },
    {
      name: '200 narrowed',
      send: (a) => postJson(a, { room: ROOM, role: 'subscriber', transports: ['whep', 'WHEP'], ttlMinutes: 7 }),
    },
    { name: '200 publisher-only with grant transports', send: (a) => postJson(a, { room: 'stage' }, 'erin') },
    { name: '403 role outside the grant', send: (a) => postJson(a, { room: 'stage', role: 'subscriber' }, 'erin') },
    { name: '403 room outside the grant', send: (a) => postJson(a, { room: 'backstage' }, 'erin') },
    {
      name: '403 transport outside the grant',
      send: (a) => postJson(a, { room: 'stage', transports: ['WHEP'] }, 'erin'),
    },
    { name: '403 authorize false', send: (a) => postJson(a, { room: ROOM }, 'dave') },
    { name: '401', send: (a) => postJson(a, { room: ROOM }, null) },
    { name: '500 identify throws', send: (a) => postJson(a, { room: ROOM }, 'boom') },
    { name: '500 onIssued throws', send: (a) => postJson(a, { room: 'audit-fails' }) },
    { name: '400 unknown field', send: (a) => postJson(a, { room: ROOM, extra: 1 }) },
    { name: '400 ttlMinutes 0', send: (a) => postJson(a, { room: ROOM, ttlMinutes: 0 }) },
    { name: '400 room with a comma', send: (a) => postJson(a, { room: 'a,b' }) },
    { name: '400 role admin', send: (a) => postJson(a, { room: ROOM, role: 'admin' }) },
    { name: '400 no room', send: (a) => postJson(a, {}) },
    { name: '400 channel', send: (a) => postJson(a, { room: ROOM, channel: 'chat' }) },
    {
      name: '400 empty body',
      send: (a) => postRaw(a, '', 'application/json'),
      detailDependsOnParser: true,
      parserOwned: ['fastify', 'hono'],
    },
    {
      name: '400 invalid JSON',
      send: (a) => postRaw(a, '{', 'application/json'),
      parserOwned: ['express', 'koa', 'fastify', 'hono'],
    },
    {
      name: '400 __proto__',
      send: (a) => postRaw(a, '{"room":"x","__proto__":{}}', 'application/json'),
      parserOwned: ['koa', 'fastify'],
    },
    { name: '405 GET', send: (a) => a.get('/tokens') },
    { name: '405 PUT', send: (a) => a.put('/tokens').send({ room: ROOM }) },
    { name: '413 Content-Length', send: (a) => postRaw(a, OVERSIZED, 'application/json') },
    { name: '413 chunked', send: (a) => postChunked(a, OVERSIZED) },
    { name: '415 text/plain', send: (a) => postRaw(a, '{"room":"x"}', 'text/plain') },
    {
      name: '415 form',
      send: (a) => postRaw(a, 'room=x', 'application/x-www-form-urlencoded'),
      parserOwned: ['fastify'],
    },
    {
      name: '415 no Content-Type',
      send: (a) => postRaw(a, '{"room":"x"}', undefined),
      parserOwned: ['fastify'],
    },
    {
      name: '415 latin1',
      send: (a) => postRaw(a, '{"room":"x"}', 'application/json; charset=latin1'),
      parserOwned: ['express'],
    },
  ];

  it.each(REQUESTS)('$name', async (kase) => {
    const answers: { mode: Mode; res: Response; normalised: unknown }[] = [];
    for (const mode of MODES) {
      const clock = frozenClock();
      const res = await kase.send(serve(mode, comparisonOptions(mode, clock)).agent);
      answers.push({ mode, res, normalised: normalise(res) });
    }
    const statuses = new Set(answers.map(({ res }) => res.status));
    expect(statuses.size, `statuses ${[...statuses].join(', ')}`).toBe(1);

    const roomkeyAnswers = answers.filter(({ mode }) => !ownedByParser(kase, mode));
    const reference = roomkeyAnswers[0];
    if (reference === undefined) throw new Error('no variant answered through roomkey');
    const pick = (value: unknown) => {
      const { status, headers, body } = value as { status: number; headers: unknown; body: { code: string } };
      return { status, headers, code: body.code };
    };
    // Fastify's parser answers through tokenErrorHandler(): the same problem, in its own words.
    for (const answer of answers.filter(({ mode }) => ownedByParser(kase, mode))) {
      if (answer.mode.variant.framework === 'fastify') {
        expect(pick(answer.normalised), answer.mode.label).toEqual(pick(reference.normalised));
      }
    }
    for (const answer of roomkeyAnswers) {
      const sameParserMode = answer.mode.bodyParser === reference.mode.bodyParser;
      if (kase.detailDependsOnParser && !sameParserMode) {
        expect(pick(answer.normalised), answer.mode.label).toEqual(pick(reference.normalised));
      } else {
        expect(answer.normalised, answer.mode.label).toEqual(reference.normalised);
      }
    }
    if (kase.detailDependsOnParser) {
      // Within each parser mode the bodies are identical, detail included.
      const withParser = roomkeyAnswers.filter(({ mode }) => mode.bodyParser);
      for (const answer of withParser) expect(answer.normalised).toEqual(withParser[0]?.normalised);
    }
    for (const { res } of answers) expect(res.text).not.toContain(SECRET);
  });
});

/** Recursively freezes a value, functions' own objects aside (the clock's state lives in a closure). */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Reflect.ownKeys(value)) deepFreeze((value as Record<PropertyKey, unknown>)[key]);
  }
  return value;
}

/** A structural copy that keeps functions (and the objects holding them) comparable by value. */
function structuralCopy<T>(value: T): T {
  if (Array.isArray(value)) return value.map(structuralCopy) as T;
  if (typeof value === 'object' && value !== null) {
    const copy = Object.create(Object.getPrototypeOf(value));
    for (const key of Reflect.ownKeys(value)) copy[key] = structuralCopy((value as Record<PropertyKey, unknown>)[key]);
    return copy;
  }
  return value;
}
