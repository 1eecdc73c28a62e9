/**
 * Red5 Cloud through every framework variant (Express 4 and 5, Koa 2 and 3, Hono 4, a bare
 * Fetch API handler; each without and, where the framework has one, with its own JSON body
 * parsing): `POST /tokens` for `conference` and `chat` tokens, and
 * the Red5 WebRTC SDK's two routes on the same issuer. PubNub Access Manager is a real local
 * HTTP stand-in that checks each grant's v2 signature; conference tokens are verified with jose
 * and jsonwebtoken, never only by roomkey's own code.
 */

import type { AuthorizeContext, DeniedEvent, Grant, Role, TokenIssuer } from '@roomkey/core';
import { createTokenIssuer } from '@roomkey/core';
import {
  issueRed5ChatToken as expressChatRoute,
  issueRed5ConferenceToken as expressConferenceRoute,
} from '@roomkey/express';
import { issueRed5ChatToken as fetchChatRoute, issueRed5ConferenceToken as fetchConferenceRoute } from '@roomkey/fetch';
import { issueRed5ChatToken as koaChatRoute, issueRed5ConferenceToken as koaConferenceRoute } from '@roomkey/koa';
import {
  type PubNubStandIn,
  type RecordedRequest,
  type StandInMode,
  startPubNubStandIn,
} from '@roomkey/pubnub-stand-in';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  CONFERENCE_CLAIMS,
  credentialFields,
  makeCredentials,
  makeMasterKey,
  referenceMasterSecret,
  standInKeyset,
} from '../../packages/core/test/support/red5cloud.js';
import { type ContractOptions, createApp, MODES, type Mode, SDK_ROUTES, VARIANTS } from './apps.js';
import { epochSeconds, FROZEN_AT, frozenClock } from './support/clock.js';
import { OPEN } from './support/grants.js';
import { type Agent, expectProblem, postJson, type Response, type Test, tokensIn } from './support/http.js';
import { API_KEYS, apiKeyIdentify, bearer, type User } from './support/identity.js';
import { captureLogger } from './support/logger.js';
import { JWT_LIKE, SECRET } from './support/tokens.js';

const ROLES: readonly Role[] = ['subscriber', 'publisher-only', 'publisher', 'moderator'];
/** DESIGN.md, role mapping: the Red5 Cloud `role` claim for each roomkey role. */
const RED5CLOUD_ROLE: Readonly<Record<Role, string>> = {
  subscriber: 'subscriber',
  'publisher-only': 'publisher',
  publisher: 'publisher',
  moderator: 'admin',
};
const PROBLEM_KEYS = ['code', 'detail', 'status', 'title', 'type'];
/** PubNub Access Manager v3 permission bits (DESIGN.md). */
const READ = 1;
const WRITE = 2;
const ROOM = 'room-abc';
const CHANNEL = 'channel-global';
/**
 * The PubNub timeout of the apps that meet a hanging PubNub: short, so that a hang costs the suite
 * little, yet long enough that a loaded machine's loopback round trip never reaches it (at 150 ms
 * the recovery requests of these tests failed now and then on a busy 2-core machine).
 */
const UPSTREAM_TIMEOUT_MS = 1_000;
/** Every other app's PubNub timeout: no test of theirs waits on it. */
const DEFAULT_UPSTREAM_TIMEOUT_MS = 10_000;
/** Red5 Cloud's default lifetime when neither the request nor the grant names one. */
const DEFAULT_TTL_SECONDS = 60 * 60;

const clock = frozenClock();
const masterKey = makeMasterKey();
const credentials = makeCredentials();
/** Made by the test's own encoder of Red5's scheme, not roomkey's. */
const masterSecret = referenceMasterSecret(masterKey, credentialFields(credentials));
const conferenceKey = new TextEncoder().encode(credentials.conferenceSecret);

let standIn: PubNubStandIn;

beforeAll(async () => {
  standIn = await startPubNubStandIn(
    standInKeyset(credentials),
    // PubNub refuses a request whose timestamp is more than 60 s off its own clock.
    () => clock.now(),
  );
});

afterAll(async () => {
  await standIn.close();
});

beforeEach(() => {
  standIn.mode = 'ok';
  clock.set(FROZEN_AT);
});

const now = () => epochSeconds(clock);
const isoAt = (seconds: number) => new Date(seconds * 1000).toISOString();

/** Options with Red5 Cloud credentials pointing at the stand-in, and API-key `identify`. */
function cloudOptions(
  mode: Mode,
  overrides: Partial<ContractOptions> = {},
  timeoutMs = DEFAULT_UPSTREAM_TIMEOUT_MS,
): ContractOptions {
  return {
    identify: apiKeyIdentify(mode.variant),
    red5cloud: { masterKey, masterSecret, pubnub: { origin: standIn.origin, ssl: false, timeoutMs } },
    clock,
    ...overrides,
  };
}

/** A real app of this mode with `/tokens` and both SDK routes on one issuer. */
function cloudApp(mode: Mode, overrides: Partial<ContractOptions> = {}, timeoutMs?: number): Agent {
  const built = createApp(mode.variant, cloudOptions(mode, overrides, timeoutMs), {
    bodyParser: mode.bodyParser,
    sdkRoutes: true,
  });
  return request(built.target);
}

/** POST a JSON body to one of the SDK routes, as a signed-in user (or anonymously with `null`). */
function postTo(agent: Agent, path: string, body: unknown, user: User | null = 'carol'): Test {
  const test = agent.post(path).set('content-type', 'application/json');
  if (user !== null) test.set('authorization', bearer(user));
  return test.send(JSON.stringify(body));
}

/** A 200 JSON answer that must not be cached; returns the parsed body. */
function expectJsonOk(res: Response): Record<string, unknown> {
  expect(res.status, res.text).toBe(200);
  expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
  expect(res.headers['cache-control']).toBe('no-store');
  return JSON.parse(res.text) as Record<string, unknown>;
}

/** The red5-conference route's problems: the contract's problem plus `success: false` for the SDK. */
function expectConferenceProblem(res: Response, status: number, code: string): Record<string, unknown> {
  expect(res.status, res.text).toBe(status);
  expect(res.headers['content-type']).toBe('application/problem+json');
  expect(res.headers['cache-control']).toBe('no-store');
  expect(res.text).not.toMatch(JWT_LIKE);
  const body = JSON.parse(res.text) as Record<string, unknown>;
  expect(Object.keys(body).sort()).toEqual([...PROBLEM_KEYS, 'success'].sort());
  expect(body).toMatchObject({ status, code, success: false });
  expect(body).not.toHaveProperty('token');
  return body;
}

/** Verifies a conference token with jose and jsonwebtoken under the conference secret; returns its claims. */
async function verifyConference(token: string): Promise<Record<string, unknown>> {
  expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256', typ: 'JWT' });
  const { payload } = await jwtVerify(token, conferenceKey, { algorithms: ['HS256'], currentDate: clock.date() });
  expect(Object.keys(payload)).toEqual(CONFERENCE_CLAIMS);
  const checked = jwt.verify(token, credentials.conferenceSecret, {
    algorithms: ['HS256'],
    clockTimestamp: now(),
  });
  expect(checked).toEqual(payload);
  // Signed with the conference secret, not with anything else the master secret holds.
  expect(() => jwt.verify(token, credentials.pubnubSecretKey, { clockTimestamp: now() })).toThrow(/invalid signature/);
  return payload as Record<string, unknown>;
}

/** The conference token of a 200 `/tokens` answer. */
function conferenceTokenOf(res: Response): string {
  const body = expectJsonOk(res) as { tokens: Record<string, { token: string }> };
  expect(Object.keys(body.tokens)).toEqual(['conference']);
  return body.tokens.conference?.token ?? '';
}

/** The PubNub grant the stand-in received, checked to be well-signed and in time. */
function lastGrant(): RecordedRequest {
  const grant = standIn.last();
  expect(grant.signatureValid).toBe(true);
  expect(grant.timestampValid).toBe(true);
  expect(grant.json).toBeDefined();
  return grant;
}

/** The `channels` resource of a grant for channel X: X with the right bits, X-pnpres readable when X is. */
function channelBits(channel: string, rights: { read: boolean; write: boolean }): Record<string, number> {
  const bits: Record<string, number> = { [channel]: (rights.read ? READ : 0) | (rights.write ? WRITE : 0) };
  if (rights.read) bits[`${channel}-pnpres`] = READ;
  return bits;
}

/** Everything secret in this file: none of it may reach a problem body or a log line. */
function sensitive(): string[] {
  return [
    masterKey,
    masterSecret,
    ...credentialFields(credentials),
    ...Object.values(API_KEYS),
    SECRET,
    ...standIn.tokens,
    ...standIn.requests.map((grant) => grant.query.signature ?? '').filter((signature) => signature !== ''),
  ];
}

function expectNoSecrets(text: string): void {
  expect(text).not.toMatch(JWT_LIKE);
  for (const value of sensitive()) expect(text).not.toContain(value);
}

describe.each(MODES)('Red5 Cloud through $label', (mode) => {
  describe('POST /tokens with a room: a conference token', () => {
    it.each(ROLES)('grant %s: signed with the conference secret, the role mapped per DESIGN.md', async (role) => {
      const agent = cloudApp(mode, { authorize: () => ({ ...OPEN, role }) });
      const res = await postJson(agent, { room: ROOM });
      const body = expectJsonOk(res);
      expect(Object.keys(body).sort()).toEqual(['identity', 'role', 'tokens']);
      expect(body).toMatchObject({ identity: 'carol', role });
      const tokens = body.tokens as Record<string, { token: string; expiresAt: string }>;
      expect(Object.keys(tokens)).toEqual(['conference']);
      const { token, expiresAt } = tokens.conference ?? { token: '', expiresAt: '' };
      expect(Object.keys(tokens.conference ?? {}).sort()).toEqual(['expiresAt', 'token']);

      const grant = lastGrant();
      const payload = await verifyConference(token);
      expect(payload).toEqual({
        uid: 'carol',
        roomId: ROOM,
        role: RED5CLOUD_ROLE[role],
        pubnubSubscribeKey: credentials.pubnubSubscribeKey,
        pubnubPublishKey: credentials.pubnubPublishKey,
        pubnubToken: grant.token,
        iat: now(),
        exp: now() + DEFAULT_TTL_SECONDS,
      });
      expect(expiresAt).toBe(isoAt(now() + DEFAULT_TTL_SECONDS));
      // The embedded PubNub token: the room and its presence channel, for this user alone.
      expect(grant.json?.permissions.uuid).toBe('carol');
      expect(grant.json?.ttl).toBe(DEFAULT_TTL_SECONDS / 60);
      expect(grant.json?.permissions.resources.channels).toEqual(
        channelBits(ROOM, { read: true, write: role !== 'subscriber' }),
      );
    });

    it('issues a requested role within the grant and the least lifetime of request and grant', async () => {
      const agent = cloudApp(mode, { authorize: () => ({ ...OPEN, role: 'moderator', ttlMinutes: 20 }) });
      const asked = await verifyConference(
        conferenceTokenOf(await postJson(agent, { room: ROOM, role: 'publisher', ttlMinutes: 5 })),
      );
      expect(asked).toMatchObject({ role: 'publisher', exp: now() + 5 * 60 });
      expect(lastGrant().json?.ttl).toBe(5);
      const capped = await verifyConference(conferenceTokenOf(await postJson(agent, { room: ROOM, ttlMinutes: 90 })));
      expect(capped).toMatchObject({ role: 'admin', exp: now() + 20 * 60 });
      expect(lastGrant().json?.ttl).toBe(20);
    });

    it('refuses a role or room beyond the grant with 403, before asking PubNub', async () => {
      const agent = cloudApp(mode, { authorize: () => ({ ...OPEN, role: 'subscriber', rooms: [ROOM] }) });
      const before = standIn.requests.length;
      expectProblem(await postJson(agent, { room: ROOM, role: 'publisher' }), 403, 'forbidden');
      expectProblem(await postJson(agent, { room: 'room-other' }), 403, 'forbidden');
      expect(standIn.requests).toHaveLength(before);
    });
  });

  describe('the grant’s chat rights hold on every PubNub token', () => {
    it.each([
      ['read only', { read: true }, { read: true, write: false }],
      ['write only', { write: true }, { read: false, write: true }],
    ] as const)('a conference token’s PubNub grant on its room follows grant.chat (%s)', async (_name, chat, bits) => {
      const agent = cloudApp(mode, { authorize: () => ({ ...OPEN, role: 'moderator', chat }) });
      const payload = await verifyConference(conferenceTokenOf(await postJson(agent, { room: ROOM })));
      expect(payload.role).toBe('admin');
      const grant = lastGrant();
      expect(payload.pubnubToken).toBe(grant.token);
      expect(grant.json?.permissions.resources.channels).toEqual(channelBits(ROOM, bits));
    });

    it.each([{}, { read: false, write: false }])(
      'a grant with no chat rights (%j) refuses chat and conference tokens with 403, before asking PubNub',
      async (chat) => {
        const agent = cloudApp(mode, { authorize: () => ({ ...OPEN, role: 'publisher', chat }) });
        const before = standIn.requests.length;
        expectProblem(await postJson(agent, { channel: CHANNEL }), 403, 'forbidden');
        expectProblem(await postJson(agent, { room: ROOM }), 403, 'forbidden');
        const sdk = await postTo(agent, SDK_ROUTES.conference, {
          userId: 'carol',
          channelId: ROOM,
          expirationMinutes: 5,
        });
        expectConferenceProblem(sdk, 403, 'forbidden');
        expect(standIn.requests).toHaveLength(before);
      },
    );
  });

  describe('POST /tokens with a channel: a chat token', () => {
    const byRole = ROLES.map((role) => [role, undefined, { read: true, write: role !== 'subscriber' }] as const);
    const byGrant = [
      ['subscriber', { read: true, write: true }, { read: true, write: true }],
      ['moderator', { read: true }, { read: true, write: false }],
      ['publisher', { write: true }, { read: false, write: true }],
    ] as const;

    it.each([...byRole, ...byGrant])(
      'grant %s with chat %j: PubNub gets exactly %j for the user',
      async (role, chat, rights) => {
        const grantValue: Grant = { ...OPEN, role, ...(chat !== undefined && { chat }) };
        const agent = cloudApp(mode, { authorize: () => grantValue });
        const body = expectJsonOk(await postJson(agent, { channel: CHANNEL }));
        expect(body).toMatchObject({ identity: 'carol', role });
        const tokens = body.tokens as Record<string, { token: string; expiresAt: string }>;
        expect(Object.keys(tokens)).toEqual(['chat']);

        const grant = lastGrant();
        expect(tokens.chat).toEqual({ token: grant.token, expiresAt: isoAt(now() + DEFAULT_TTL_SECONDS) });
        expect(grant.json).toEqual({
          ttl: DEFAULT_TTL_SECONDS / 60,
          permissions: {
            uuid: 'carol',
            resources: { channels: channelBits(CHANNEL, rights), groups: {}, uuids: {}, users: {}, spaces: {} },
            patterns: { channels: {}, groups: {}, uuids: {}, users: {}, spaces: {} },
            meta: {},
          },
        });
        // Made as roomkey's own server uuid; no credential in the URL.
        expect(grant.query.uuid).toBe('roomkey-server');
        expect(grant.rawQuery).not.toContain(masterKey);
        expect(grant.rawQuery).not.toContain(credentials.pubnubSecretKey);
      },
    );

    it('asks PubNub for the lifetime in whole minutes: the least of request and grant', async () => {
      const agent = cloudApp(mode, { authorize: () => ({ ...OPEN, role: 'publisher', ttlMinutes: 20 }) });
      const asked = expectJsonOk(await postJson(agent, { channel: CHANNEL, ttlMinutes: 15 }));
      expect(lastGrant().json?.ttl).toBe(15);
      expect((asked.tokens as { chat: { expiresAt: string } }).chat.expiresAt).toBe(isoAt(now() + 15 * 60));
      expectJsonOk(await postJson(agent, { channel: CHANNEL, ttlMinutes: 45 }));
      expect(lastGrant().json?.ttl).toBe(20);
    });

    it('issues conference and chat tokens together for a room and a channel', async () => {
      const agent = cloudApp(mode, { authorize: () => ({ ...OPEN, role: 'publisher' }) });
      const before = standIn.requests.length;
      const body = expectJsonOk(await postJson(agent, { room: ROOM, channel: CHANNEL }));
      const tokens = body.tokens as Record<string, { token: string }>;
      expect(Object.keys(tokens).sort()).toEqual(['chat', 'conference']);
      const grants = standIn.requests.slice(before);
      expect(grants).toHaveLength(2);
      expect(grants.every((grant) => grant.signatureValid)).toBe(true);
      const payload = await verifyConference(tokens.conference?.token ?? '');
      expect(grants.map((grant) => grant.token).sort()).toEqual([payload.pubnubToken, tokens.chat?.token].sort());
    });
  });

  describe('the Red5 WebRTC SDK routes', () => {
    it('/chat-token answers exactly { token } with the rights asked, for the signed-in user', async () => {
      const seen: AuthorizeContext<unknown>[] = [];
      const agent = cloudApp(mode, {
        authorize: (context) => {
          seen.push(context);
          return { ...OPEN, role: 'publisher', channels: [CHANNEL] };
        },
      });
      const res = await postTo(agent, SDK_ROUTES.chat, {
        userId: 'carol',
        channelId: CHANNEL,
        read: true,
        write: true,
        ttlMinutes: 25,
      });
      const body = expectJsonOk(res);
      expect(Object.keys(body)).toEqual(['token']);
      const grant = lastGrant();
      expect(body.token).toBe(grant.token);
      expect(grant.json?.ttl).toBe(25);
      expect(grant.json?.permissions.uuid).toBe('carol');
      expect(grant.json?.permissions.resources.channels).toEqual(channelBits(CHANNEL, { read: true, write: true }));
      expect(seen).toHaveLength(1);
      expect(seen[0]?.protocol).toBe('red5-chat');
      expect(seen[0]?.request).toEqual({ channel: CHANNEL, ttlMinutes: 25 });
      expect(seen[0]?.identity.id).toBe('carol');
    });

    it('/chat-token grants only the rights asked, never the role’s wider ones', async () => {
      const agent = cloudApp(mode, { authorize: () => ({ ...OPEN, role: 'moderator' }) });
      expectJsonOk(await postTo(agent, SDK_ROUTES.chat, { userId: 'carol', channelId: CHANNEL, write: false }));
      expect(lastGrant().json?.permissions.resources.channels).toEqual(
        channelBits(CHANNEL, { read: true, write: false }),
      );
      // Absent rights: read only, and the default lifetime.
      expectJsonOk(await postTo(agent, SDK_ROUTES.chat, { userId: 'carol', channelId: CHANNEL }));
      const grant = lastGrant();
      expect(grant.json?.permissions.resources.channels).toEqual(channelBits(CHANNEL, { read: true, write: false }));
      expect(grant.json?.ttl).toBe(DEFAULT_TTL_SECONDS / 60);
    });

    it('/config-meetings/api/generate-token answers { success: true, token } for that user and channel', async () => {
      const seen: AuthorizeContext<unknown>[] = [];
      const agent = cloudApp(mode, {
        authorize: (context) => {
          seen.push(context);
          return { ...OPEN, role: 'publisher' };
        },
      });
      const res = await postTo(agent, SDK_ROUTES.conference, {
        userId: 'carol',
        channelId: ROOM,
        expirationMinutes: 20,
      });
      const body = expectJsonOk(res);
      expect(Object.keys(body)).toEqual(['success', 'token']);
      expect(body.success).toBe(true);
      const grant = lastGrant();
      const payload = await verifyConference(body.token as string);
      expect(payload).toEqual({
        uid: 'carol',
        roomId: ROOM,
        role: 'publisher',
        pubnubSubscribeKey: credentials.pubnubSubscribeKey,
        pubnubPublishKey: credentials.pubnubPublishKey,
        pubnubToken: grant.token,
        iat: now(),
        exp: now() + 20 * 60,
      });
      expect(grant.json?.ttl).toBe(20);
      expect(grant.json?.permissions.uuid).toBe('carol');
      expect(seen.map((context) => [context.protocol, context.request])).toEqual([
        ['red5-conference', { room: ROOM, ttlMinutes: 20 }],
      ]);
    });

    it('refuses a userId that is not the signed-in user with 403, without calling authorize or PubNub', async () => {
      let authorized = 0;
      const agent = cloudApp(mode, {
        authorize: () => {
          authorized++;
          return { ...OPEN, role: 'moderator', rooms: 'any', channels: 'any' };
        },
      });
      const before = standIn.requests.length;
      const chat = await postTo(agent, SDK_ROUTES.chat, { userId: 'dave', channelId: CHANNEL, read: true });
      expect(expectProblem(chat, 403, 'forbidden').detail).toMatch(/userId/);
      const conference = await postTo(agent, SDK_ROUTES.conference, { userId: 'Carol', channelId: ROOM });
      expectConferenceProblem(conference, 403, 'forbidden');
      expect(authorized).toBe(0);
      expect(standIn.requests).toHaveLength(before);
      // The same app serves the user who names themself.
      expectJsonOk(await postTo(agent, SDK_ROUTES.chat, { userId: 'dave', channelId: CHANNEL }, 'dave'));
      expect(authorized).toBe(1);
    });

    it('refuses chat rights beyond the grant with 403', async () => {
      const subscriber = cloudApp(mode, { authorize: () => ({ ...OPEN, role: 'subscriber' }) });
      const before = standIn.requests.length;
      const body = { userId: 'carol', channelId: CHANNEL, read: true, write: true };
      expectProblem(await postTo(subscriber, SDK_ROUTES.chat, body), 403, 'forbidden');
      expectProblem(await postTo(subscriber, SDK_ROUTES.chat, { ...body, read: false }), 403, 'forbidden');
      // A grant's chat rights override the role's: a moderator granted read alone may not write.
      const readOnly = cloudApp(mode, { authorize: () => ({ ...OPEN, role: 'moderator', chat: { read: true } }) });
      expectProblem(await postTo(readOnly, SDK_ROUTES.chat, body), 403, 'forbidden');
      // Nor may anyone have a channel the grant does not list.
      const listed = cloudApp(mode, { authorize: () => ({ ...OPEN, role: 'moderator', channels: ['channel-other'] }) });
      expectProblem(await postTo(listed, SDK_ROUTES.chat, body), 403, 'forbidden');
      expect(standIn.requests).toHaveLength(before);
    });

    it('refuses read and write both false with 400', async () => {
      const agent = cloudApp(mode, { authorize: () => ({ ...OPEN, role: 'moderator' }) });
      const res = await postTo(agent, SDK_ROUTES.chat, {
        userId: 'carol',
        channelId: CHANNEL,
        read: false,
        write: false,
      });
      expect(expectProblem(res, 400, 'invalid_request').detail).toMatch(/read and write are both false/);
    });

    it('refuses malformed bodies with 400, with success: false on the conference route', async () => {
      const agent = cloudApp(mode);
      expectProblem(
        await postTo(agent, SDK_ROUTES.chat, { userId: 'carol', channelId: CHANNEL, admin: true }),
        400,
        'invalid_request',
      );
      expectProblem(
        await postTo(agent, SDK_ROUTES.chat, { userId: 'carol', channelId: 'a,b', read: true }),
        400,
        'invalid_request',
      );
      expectConferenceProblem(
        await postTo(agent, SDK_ROUTES.conference, { userId: 'carol', channelId: ROOM, expirationMinutes: 0 }),
        400,
        'invalid_request',
      );
      expectConferenceProblem(
        await postTo(agent, SDK_ROUTES.conference, { userId: 'carol', room: ROOM }),
        400,
        'invalid_request',
      );
    });

    it('answers 401 with a WWW-Authenticate challenge without credentials', async () => {
      const agent = cloudApp(mode);
      const chat = await postTo(agent, SDK_ROUTES.chat, { userId: 'carol', channelId: CHANNEL }, null);
      expectProblem(chat, 401, 'unauthenticated');
      expect(chat.headers['www-authenticate']).toBe('Bearer realm="roomkey"');
      const conference = await postTo(agent, SDK_ROUTES.conference, { userId: 'carol', channelId: ROOM }, null);
      expectConferenceProblem(conference, 401, 'unauthenticated');
      expect(conference.headers['www-authenticate']).toBe('Bearer realm="roomkey"');
    });

    it('answers GET with 405 and Allow: POST', async () => {
      const agent = cloudApp(mode);
      const chat = await agent.get(SDK_ROUTES.chat).set('authorization', bearer('carol'));
      expectProblem(chat, 405, 'method_not_allowed');
      expect(chat.headers.allow).toBe('POST');
      const conference = await agent.get(SDK_ROUTES.conference).set('authorization', bearer('carol'));
      expectConferenceProblem(conference, 405, 'method_not_allowed');
      expect(conference.headers.allow).toBe('POST');
    });
  });

  describe('PubNub failures', () => {
    const FAILURES: readonly (readonly [StandInMode, RegExp])[] = [
      ['forbidden', /refused the grant with HTTP 403/],
      ['error', /refused the grant with HTTP 500/],
      ['garbage', /answered HTTP 200 without a token/],
      ['no-token', /answered HTTP 200 without a token/],
      ['redirect', /HTTP 302: a redirect, which roomkey does not follow/],
      ['hang', new RegExp(`no answer within ${UPSTREAM_TIMEOUT_MS} ms`)],
    ];

    it.each(FAILURES)(
      'PubNub %s: 502 upstream_error on every route, no secret anywhere, then tokens again once PubNub is back',
      async (failure, cause) => {
        const logged = captureLogger();
        const denied: DeniedEvent[] = [];
        const agent = cloudApp(
          mode,
          {
            authorize: () => ({ ...OPEN, role: 'publisher' }),
            logger: logged.logger,
            onDenied: (event) => void denied.push(event),
          },
          UPSTREAM_TIMEOUT_MS,
        );
        const chatBody = { userId: 'carol', channelId: CHANNEL, read: true, write: true };
        const conferenceBody = { userId: 'carol', channelId: ROOM };
        const send = () =>
          Promise.all([
            postJson(agent, { channel: CHANNEL }),
            postJson(agent, { room: ROOM }),
            postTo(agent, SDK_ROUTES.chat, chatBody),
            postTo(agent, SDK_ROUTES.conference, conferenceBody),
          ]);

        standIn.mode = failure;
        const before = standIn.requests.length;
        const [chatToken, conferenceToken, sdkChat, sdkConference] = await send();
        // Each route asked PubNub once, and did not retry.
        expect(standIn.requests).toHaveLength(before + 4);
        for (const res of [chatToken, conferenceToken, sdkChat]) {
          const problem = expectProblem(res, 502, 'upstream_error');
          expect(problem.detail).toMatch(/could not be issued: a platform service failed/);
        }
        expectConferenceProblem(sdkConference, 502, 'upstream_error');
        for (const res of [chatToken, conferenceToken, sdkChat, sdkConference]) {
          expect(tokensIn(res)).toEqual([]);
          expect(res.text).not.toContain('qEF2');
          expectNoSecrets(res.text);
        }
        // The operator learns what failed; the log holds no credential, signature or token.
        expect(denied.map((event) => [event.status, event.code])).toEqual(Array(4).fill([502, 'upstream_error']));
        const errors = logged.calls.filter((call) => call.level === 'error');
        expect(errors).toHaveLength(4);
        for (const call of errors) expect(call.args.join(' ')).toMatch(cause);
        expectNoSecrets(logged.text());

        standIn.mode = 'ok';
        const recovered = await send();
        for (const res of recovered) expectJsonOk(res);
        expect(tokensIn(recovered[0] as Response)).toHaveLength(1);
        expect(JSON.parse(recovered[3]?.text ?? '{}')).toMatchObject({ success: true });
        expectNoSecrets(logged.text());
      },
    );
  });
});

describe('the SDK routes need Red5 Cloud credentials, checked when the route is created', () => {
  const identify = () => null;
  /** Each adapter's two route factories, called with an issuer (or options) that lacks red5cloud. */
  const adapters: readonly (readonly [string, (value: ContractOptions | TokenIssuer<unknown>) => unknown][])[] = [
    [
      ['Express issueRed5ChatToken', (value) => expressChatRoute(value)],
      ['Express issueRed5ConferenceToken', (value) => expressConferenceRoute(value)],
    ],
    [
      ['Koa issueRed5ChatToken', (value) => koaChatRoute(value)],
      ['Koa issueRed5ConferenceToken', (value) => koaConferenceRoute(value)],
    ],
  ];
  /** The Fetch API adapter's routes take only options or its own issuer (which holds clientAddress). */
  const fetchRoutes: readonly (readonly [string, (value: ContractOptions) => unknown])[] = [
    ['Fetch issueRed5ChatToken', (value) => fetchChatRoute(value)],
    ['Fetch issueRed5ConferenceToken', (value) => fetchConferenceRoute(value)],
  ];
  it.each(fetchRoutes)('%s: options without red5cloud throw a TypeError', (name, route) => {
    const token = name.endsWith('ChatToken') ? 'chat' : 'conference';
    const options: ContractOptions = { identify, red5pro: { secret: SECRET } };
    expect(() => route(options)).toThrow(new RegExp(`"${token}" token: configure Red5 Cloud credentials`));
  });

  it.each(adapters.flat())('%s: an issuer or options without red5cloud throw a TypeError', (name, route) => {
    const token = name.endsWith('ChatToken') ? 'chat' : 'conference';
    const options: ContractOptions = { identify, red5pro: { secret: SECRET } };
    for (const value of [createTokenIssuer(options), options]) {
      expect(() => route(value)).toThrow(TypeError);
      expect(() => route(value)).toThrow(new RegExp(`"${token}" token: configure Red5 Cloud credentials`));
    }
  });

  it.each(VARIANTS)('$name: an app mounting the SDK routes without red5cloud does not start', (variant) => {
    expect(() =>
      createApp(variant, { identify: apiKeyIdentify(variant), red5pro: { secret: SECRET } }, { sdkRoutes: true }),
    ).toThrow(TypeError);
  });
});
