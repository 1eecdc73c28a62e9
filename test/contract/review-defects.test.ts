/**
 * The defects an adversarial review reproduced against the shipped pipeline, each replayed
 * with the reviewer's own requests through every framework variant with every platform
 * configured (Red5 Pro, Red5 Cloud against the PubNub stand-in, Vonage Video):
 * - an absent target list in a grant meant "any" (channels, sessions, transports);
 * - Red5 Cloud trimmed user ids, mapping `alice ` onto `alice`;
 * - a grant's ttlMinutes set the lifetime instead of capping it;
 * - an identify that returned a header value put the value in the log;
 * - an identity or grant the platform cannot use was answered 400, as if the client erred.
 */
import { generateKeyPairSync } from 'node:crypto';
import type { Grant, Identity } from '@roomkey/core';
import { type PubNubStandIn, startPubNubStandIn } from '@roomkey/pubnub-stand-in';
import { decodeJwt } from 'jose';
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  credentialFields,
  makeCredentials,
  makeMasterKey,
  referenceMasterSecret,
  standInKeyset,
} from '../../packages/core/test/support/red5cloud.js';
import { type ContractOptions, createApp, MODES, type Mode, SDK_ROUTES } from './apps.js';
import { FROZEN_AT, frozenClock } from './support/clock.js';
import { OPEN } from './support/grants.js';
import { type Agent, expectProblem, postJson, type Response } from './support/http.js';
import { apiKeyIdentify, bearer } from './support/identity.js';
import { captureLogger } from './support/logger.js';
import { SECRET } from './support/tokens.js';

const GENERIC_500 = /^The token service failed/;
const clock = frozenClock();
const masterKey = makeMasterKey();
const credentials = makeCredentials();
const masterSecret = referenceMasterSecret(masterKey, credentialFields(credentials));
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const APPLICATION_ID = '3b0b8f32-6a0e-4d49-9a9c-2f4d1e6b7c8a';
/** The reviewer's session id: a well-formed Vonage session. */
const SESSION = `1_MX4x${Buffer.from('~3b0b8f32~~Sun Nov 22 2026~review~~').toString('base64url')}`;

let standIn: PubNubStandIn;
beforeAll(async () => {
  standIn = await startPubNubStandIn(standInKeyset(credentials), () => clock.now());
});
afterAll(async () => {
  await standIn.close();
});
beforeEach(() => {
  standIn.mode = 'ok';
  clock.set(FROZEN_AT);
});

/** Every platform configured, so a grant's gaps cannot hide behind a platform that is missing. */
function everyPlatform(mode: Mode, overrides: Partial<ContractOptions>): Agent {
  const options: ContractOptions = {
    identify: apiKeyIdentify(mode.variant),
    red5pro: { secret: SECRET },
    red5cloud: { masterKey, masterSecret, pubnub: { origin: standIn.origin, ssl: false, timeoutMs: 500 } },
    vonage: { applicationId: APPLICATION_ID, privateKey: privatePem },
    clock,
    ...overrides,
  };
  return request(createApp(mode.variant, options, { bodyParser: mode.bodyParser, sdkRoutes: true }).target);
}

const tokenNames = (res: Response) => Object.keys((JSON.parse(res.text) as { tokens: object }).tokens);
const claimsOf = (res: Response, name: string) =>
  decodeJwt((JSON.parse(res.text) as { tokens: Record<string, { token: string }> }).tokens[name]?.token ?? '');

describe.each(MODES)('review defects through $label', (mode) => {
  describe('1. a list a grant leaves out grants nothing', () => {
    const roomsOnly = (): Grant => ({ role: 'publisher', rooms: ['lobby'], transports: 'any' });

    it('rooms: [lobby] → boardroom 403, and neither a channel nor a session is open (both were 200)', async () => {
      const agent = everyPlatform(mode, { authorize: roomsOnly });
      expect(tokenNames(await postJson(agent, { room: 'lobby' }))).toEqual(['red5pro', 'conference']);
      expectProblem(await postJson(agent, { room: 'boardroom' }), 403, 'forbidden');
      const before = standIn.requests.length;
      expectProblem(await postJson(agent, { channel: 'board-private' }), 403, 'forbidden');
      expectProblem(await postJson(agent, { session: SESSION }), 403, 'forbidden');
      expect(standIn.requests.length, 'PubNub was asked for a refused request').toBe(before);
    });

    it("opens channels and sessions when the grant says 'any' or lists them", async () => {
      const agent = everyPlatform(mode, {
        authorize: () => ({ role: 'publisher', channels: ['board-private'], sessions: 'any' }),
      });
      expect(tokenNames(await postJson(agent, { channel: 'board-private' }))).toEqual(['chat']);
      expectProblem(await postJson(agent, { channel: 'other' }), 403, 'forbidden');
      expect(tokenNames(await postJson(agent, { session: SESSION }))).toEqual(['vonage']);
    });

    it('the chat SDK route is closed to a grant without channels', async () => {
      const agent = everyPlatform(mode, { authorize: roomsOnly });
      const res = await agent
        .post(SDK_ROUTES.chat)
        .set('content-type', 'application/json')
        .set('authorization', bearer('carol'))
        .send(JSON.stringify({ userId: 'carol', channelId: 'board-private', read: true }));
      expectProblem(res, 403, 'forbidden');
    });

    it('without an authorize hook: the requested room as a subscriber, no channel, no session', async () => {
      const agent = everyPlatform(mode, {});
      expect(tokenNames(await postJson(agent, { room: 'lobby' }))).toEqual(['red5pro', 'conference']);
      expect(claimsOf(await postJson(agent, { room: 'lobby' }), 'red5pro')).toMatchObject({ roles: 'red5-subscriber' });
      expectProblem(await postJson(agent, { channel: 'lobby' }), 403, 'forbidden');
      expectProblem(await postJson(agent, { session: SESSION }), 403, 'forbidden');
    });

    it('a grant without transports refuses a Red5 Pro token, and any requested transport', async () => {
      const agent = everyPlatform(mode, { authorize: () => ({ role: 'publisher', rooms: 'any' }) });
      const res = await postJson(agent, { room: 'lobby' });
      expect(expectProblem(res, 403, 'forbidden').detail).toMatch(/transports/);
      expectProblem(await postJson(agent, { room: 'lobby', transports: ['WHIP'] }), 403, 'forbidden');
    });

    it("transports: 'any' leaves the claim out on purpose; a list is written as the claim", async () => {
      const any = everyPlatform(mode, { authorize: () => ({ role: 'publisher', rooms: 'any', transports: 'any' }) });
      expect(claimsOf(await postJson(any, { room: 'lobby' }), 'red5pro')).not.toHaveProperty('red5-transport');
      const listed = everyPlatform(mode, {
        authorize: () => ({ role: 'publisher', rooms: 'any', transports: ['whep'] }),
      });
      expect(claimsOf(await postJson(listed, { room: 'lobby' }), 'red5pro')['red5-transport']).toBe('WHEP');
    });
  });

  describe('2. user ids are used exactly as given, never trimmed onto another user', () => {
    it.each([
      ['a trailing space', 'alice '],
      ['a no-break space', 'alice\u00a0'],
      ['a byte order mark', '\ufeffalice'],
      ['a line separator', 'alice\u2028'],
      ['a zero-width joiner', 'ali\u200dce'],
    ])('an identity id with %s: 500, logged, and no token or PubNub grant for anyone', async (_name, id) => {
      const logged = captureLogger();
      const agent = everyPlatform(mode, {
        identify: () => ({ id }),
        authorize: () => ({ ...OPEN, role: 'publisher' }),
        logger: logged.logger,
      });
      const before = standIn.requests.length;
      for (const body of [{ room: 'lobby' }, { channel: 'lobby' }, { session: SESSION }]) {
        const problem = expectProblem(await postJson(agent, body), 500, 'internal_error');
        expect(problem.detail).toMatch(GENERIC_500);
      }
      expect(standIn.requests.length).toBe(before);
      expect(logged.text()).toContain('identity.id');
      expect(logged.text()).toContain('exactly as given');
    });

    it("the SDK routes compare userId without trimming: 'carol ' is not carol", async () => {
      const agent = everyPlatform(mode, { authorize: () => ({ ...OPEN, role: 'publisher' }) });
      const post = (path: string, body: object) =>
        agent.post(path).set('content-type', 'application/json').set('authorization', bearer('carol')).send(body);
      for (const userId of ['carol ', ' carol', 'carol\u00a0']) {
        expectProblem(await post(SDK_ROUTES.chat, { userId, channelId: 'lobby' }), 403, 'forbidden');
        const conference = await post(SDK_ROUTES.conference, { userId, channelId: 'lobby' });
        expect(conference.status).toBe(403);
      }
      expect((await post(SDK_ROUTES.chat, { userId: 'carol', channelId: 'lobby' })).status).toBe(200);
    });
  });

  describe("4. a grant's ttlMinutes caps the lifetime, never sets it", () => {
    it('a week-long cap and no requested lifetime: each platform’s own default (was 168 h everywhere)', async () => {
      const agent = everyPlatform(mode, { authorize: () => ({ ...OPEN, role: 'publisher', ttlMinutes: 10_080 }) });
      const res = await postJson(agent, { room: 'lobby', channel: 'lobby', session: SESSION });
      expect(res.status, res.text).toBe(200);
      const now = Math.floor(clock.now() / 1000);
      expect(claimsOf(res, 'conference').exp).toBe(now + 3600);
      expect(claimsOf(res, 'vonage').exp).toBe(now + 24 * 3600);
      expect(claimsOf(res, 'red5pro').exp).toBe(now + 3570);
      const ttls = standIn.requests.slice(-2).map((grant) => grant.json?.ttl);
      expect(ttls).toEqual([60, 60]);
    });

    it('a cap below the default still caps, and a requested lifetime is still capped by it', async () => {
      const agent = everyPlatform(mode, { authorize: () => ({ ...OPEN, role: 'publisher', ttlMinutes: 30 }) });
      const now = Math.floor(clock.now() / 1000);
      const capped = await postJson(agent, { room: 'lobby', session: SESSION });
      expect(claimsOf(capped, 'conference').exp).toBe(now + 1800);
      expect(claimsOf(capped, 'vonage').exp).toBe(now + 1800);
      const asked = await postJson(agent, { session: SESSION, ttlMinutes: 600 });
      expect(claimsOf(asked, 'vonage').exp).toBe(now + 1800);
    });
  });

  describe('5. nothing an app callback returns reaches a message', () => {
    const SECRET_HEADER = `Bearer SUPERSECRET-${'x'.repeat(24)}`;
    const returns: readonly (readonly [string, unknown, RegExp])[] = [
      ['a header string', SECRET_HEADER, /not a string/],
      ['a number', 4_242_424_242, /not a number/],
      ['an array', [SECRET_HEADER], /not an array/],
      ['true', true, /not true/],
      ['an id that is a header', { id: 42, token: SECRET_HEADER }, /identity\.id must be a string/],
    ];

    it.each(returns)(
      'identify returning %s: 500, and the log says what shape was expected',
      async (_n, value, said) => {
        const logged = captureLogger();
        const agent = everyPlatform(mode, { identify: () => value as Identity, logger: logged.logger });
        const res = await postJson(agent, { room: 'lobby' });
        expectProblem(res, 500, 'internal_error');
        expect(res.text).not.toContain('SUPERSECRET');
        expect(logged.text()).toMatch(said);
        expect(logged.text()).toMatch(/identify must return an object \{ id \} or null|identity\.id/);
        expect(logged.text()).not.toContain('SUPERSECRET');
        expect(logged.text()).not.toContain('4242424242');
      },
    );

    it('authorize returning a header string: 500, and its value never logged', async () => {
      const logged = captureLogger();
      const agent = everyPlatform(mode, { authorize: () => SECRET_HEADER as never, logger: logged.logger });
      expectProblem(await postJson(agent, { room: 'lobby' }), 500, 'internal_error');
      expect(logged.text()).toMatch(/authorize must return a grant object .* not a string/);
      expect(logged.text()).not.toContain('SUPERSECRET');
    });
  });

  describe("6. an identity or grant the platform cannot use is the app's mistake: 500, logged, explained", () => {
    it('a 65-character identity id for a chat token (was 400)', async () => {
      const logged = captureLogger();
      const agent = everyPlatform(mode, {
        identify: () => ({ id: 'u'.repeat(65) }),
        authorize: () => ({ ...OPEN, role: 'publisher' }),
        logger: logged.logger,
      });
      expectProblem(await postJson(agent, { channel: 'lobby' }), 500, 'internal_error');
      expect(logged.text()).toMatch(/chat token cannot be signed .*userId must be a string of 1 to 64 characters/);
      // The same identity is fine where the platform takes it: Vonage tokens name no user.
      expect((await postJson(agent, { session: SESSION })).status).toBe(200);
    });

    it('a grant with a misspelt field: 500, and the log names the closest known one', async () => {
      const logged = captureLogger();
      const agent = everyPlatform(mode, {
        authorize: () => ({ ...OPEN, role: 'publisher', transport: ['WHIP'] }) as Grant,
        logger: logged.logger,
      });
      expectProblem(await postJson(agent, { room: 'lobby' }), 500, 'internal_error');
      expect(logged.text()).toContain('unknown field \\"transport\\" (did you mean \\"transports\\"?)');
    });

    it('a grant with transports: [] (was 400)', async () => {
      const logged = captureLogger();
      const agent = everyPlatform(mode, {
        authorize: () => ({ ...OPEN, role: 'publisher', transports: [] }),
        logger: logged.logger,
      });
      expectProblem(await postJson(agent, { room: 'lobby' }), 500, 'internal_error');
      expect(logged.text()).toMatch(/grant\.transports is an empty list/);
    });

    it('a channel too long for PubNub, or a session of another project, is still the client’s 400', async () => {
      const agent = everyPlatform(mode, { authorize: () => ({ ...OPEN, role: 'publisher' }) });
      const problem = expectProblem(await postJson(agent, { channel: 'c'.repeat(90) }), 400, 'invalid_request');
      expect(problem.detail).toMatch(/^The channel cannot be used: its name has 90 characters/);
      expectProblem(await postJson(agent, { room: 'lobby-pnpres' }), 400, 'invalid_request');
    });
  });
});
