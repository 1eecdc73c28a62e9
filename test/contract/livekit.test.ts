/**
 * LiveKit through every framework variant (Express 4 and 5, Koa 2 and 3, Hono 4, a bare Fetch
 * API handler, Fastify 4 and 5; each without and, where the framework has one, with its own JSON
 * body parsing): `POST /tokens` for a `livekit` token, and LiveKit's standard token endpoint at
 * `/livekit-token` on the same issuer. Tokens are checked by livekit-server-sdk's TokenVerifier.
 */
import { type Grant, generateSecret } from '@roomkey/core';
import { TokenVerifier } from 'livekit-server-sdk';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type ContractOptions, createApp, LIVEKIT_ROUTE, MODES, type Mode } from './apps.js';
import { FROZEN_AT, frozenClock } from './support/clock.js';
import { type Agent, expectProblem, postJson, type Test } from './support/http.js';
import { apiKeyIdentify, bearer, type User } from './support/identity.js';

const API_KEY = 'APIcontract';
const API_SECRET = generateSecret();
const URL = 'wss://media.example.test';
const ROOM = 'room-abc';
const clock = frozenClock();
const NOW_S = Date.parse(FROZEN_AT) / 1000;

beforeEach(() => {
  // The SDK's verifier reads the real clock: it is set to the frozen time.
  vi.useFakeTimers({ toFake: ['Date'], now: Date.parse(FROZEN_AT) + 1000 });
});
afterEach(() => {
  vi.useRealTimers();
});

const verify = (token: string) => new TokenVerifier(API_KEY, API_SECRET).verify(token);

function liveKitApp(mode: Mode, grant: Grant | false | ((user: string) => Grant)): Agent {
  const options: ContractOptions = {
    identify: apiKeyIdentify(mode.variant),
    authorize: ({ identity }) => (typeof grant === 'function' ? grant(identity.id) : grant),
    livekit: { apiKey: API_KEY, apiSecret: API_SECRET, url: URL },
    clock,
  };
  return request(createApp(mode.variant, options, { bodyParser: mode.bodyParser, liveKitRoute: true }).target);
}

function endpoint(agent: Agent, body: unknown, user: User | null = 'carol'): Test {
  const test = agent.post(LIVEKIT_ROUTE).set('content-type', 'application/json');
  if (user !== null) test.set('authorization', bearer(user));
  return test.send(JSON.stringify(body));
}

const PUBLISHER: Grant = { role: 'publisher', rooms: [ROOM] };

describe.each(MODES)('LiveKit through $label', (mode) => {
  it('POST /tokens with a room gives a livekit token the SDK accepts', async () => {
    const res = await postJson(liveKitApp(mode, PUBLISHER), { room: ROOM });
    expect(res.status, res.text).toBe(200);
    const { tokens } = JSON.parse(res.text) as { tokens: Record<string, { token: string; expiresAt: string }> };
    expect(Object.keys(tokens)).toEqual(['livekit']);
    const claims = await verify(tokens.livekit?.token as string);
    expect(claims).toMatchObject({ iss: API_KEY, sub: 'carol', nbf: NOW_S, exp: NOW_S + 600 });
    expect(claims.video).toEqual({
      room: ROOM,
      roomJoin: true,
      canPublish: true,
      canSubscribe: true,
      canPublishData: false,
      canUpdateOwnMetadata: false,
      roomAdmin: false,
    });
  });

  it('the standard endpoint answers 201 { server_url, participant_token } for the signed-in user', async () => {
    const res = await endpoint(liveKitApp(mode, PUBLISHER), { room_name: ROOM, participant_identity: 'carol' });
    expect(res.status, res.text).toBe(201);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = JSON.parse(res.text) as { server_url: string; participant_token: string };
    expect(Object.keys(body).sort()).toEqual(['participant_token', 'server_url']);
    expect(body.server_url).toBe(URL);
    expect(await verify(body.participant_token)).toMatchObject({ sub: 'carol', video: { room: ROOM } });
  });

  it('another identity is 403, a room not granted is 403, no room is 400, nobody is 401', async () => {
    const agent = liveKitApp(mode, PUBLISHER);
    const other = expectProblem(
      await endpoint(agent, { room_name: ROOM, participant_identity: 'dave' }),
      403,
      'forbidden',
    );
    expect(other.detail).toBe('The participant_identity is not the signed-in user.');
    expectProblem(await endpoint(agent, { room_name: 'room-other' }), 403, 'forbidden');
    expectProblem(await endpoint(agent, { participant_identity: 'carol' }), 400, 'invalid_request');
    expectProblem(await endpoint(agent, { room_name: ROOM }, null), 401, 'unauthenticated');
    expectProblem(await endpoint(agent, { room_name: ROOM, extra: 1 }), 400, 'invalid_request');
    expectProblem(await endpoint(agent, { room_name: 'a,b' }), 400, 'invalid_request');
  });

  it('name, metadata, attributes and room config only when the grant lets the client set them', async () => {
    const closed = liveKitApp(mode, PUBLISHER);
    for (const field of [
      { participant_name: 'Carol' },
      { participant_metadata: '{"seat":1}' },
      { participant_attributes: { team: 'red' } },
      { room_config: { agents: [{ agent_name: 'helper' }] } },
    ]) {
      expectProblem(await endpoint(closed, { room_name: ROOM, ...field }), 403, 'forbidden');
    }
    // Malformed is 400 whatever the grant says.
    expectProblem(
      await endpoint(closed, { room_name: ROOM, participant_attributes: { team: 1 } }),
      400,
      'invalid_request',
    );
    const open = liveKitApp(mode, {
      ...PUBLISHER,
      livekit: { clientMay: { name: true, metadata: true, attributes: true, roomConfig: true } },
    });
    const res = await endpoint(open, {
      room_name: ROOM,
      participant_name: 'Carol',
      participant_metadata: '{"seat":1}',
      participant_attributes: { team: 'red' },
      room_config: { agents: [{ agent_name: 'helper' }] },
    });
    expect(res.status, res.text).toBe(201);
    const claims = await verify((JSON.parse(res.text) as { participant_token: string }).participant_token);
    expect(claims).toMatchObject({
      name: 'Carol',
      metadata: '{"seat":1}',
      attributes: { team: 'red' },
      roomConfig: { agents: [{ agent_name: 'helper' }] },
    });
  });

  it("a client allowed room_config may only dispatch agents, never start egress or set the room's options", async () => {
    const open = liveKitApp(mode, { ...PUBLISHER, livekit: { clientMay: { roomConfig: true } } });
    for (const roomConfig of [
      // Egress records or streams the room to a destination of the client's choosing: roomRecord's right.
      { egress: { room: { room_name: ROOM, file_outputs: [{ filepath: 'x.mp4' }] } } },
      { agents: [{ agent_name: 'helper' }], egress: { participant: {} } },
      { max_participants: 1 },
      { empty_timeout: 86400 },
      { metadata: 'room metadata' },
      { name: 'room-other' },
    ]) {
      const problem = expectProblem(
        await endpoint(open, { room_name: ROOM, room_config: roomConfig }),
        403,
        'forbidden',
      );
      expect(problem.detail).toMatch(/room_config/);
    }
    const res = await endpoint(open, { room_name: ROOM, room_config: { agents: [{ agent_name: 'helper' }] } });
    expect(res.status, res.text).toBe(201);
  });

  it("a client allowed attributes may not set LiveKit's reserved lk. ones (posing as an agent)", async () => {
    const open = liveKitApp(mode, { ...PUBLISHER, livekit: { clientMay: { attributes: true } } });
    for (const attributes of [{ 'lk.agent.state': 'speaking' }, { team: 'red', 'lk.publish_on_behalf': 'alice' }]) {
      const problem = expectProblem(
        await endpoint(open, { room_name: ROOM, participant_attributes: attributes }),
        403,
        'forbidden',
      );
      expect(problem.detail).toMatch(/lk\./);
    }
    const res = await endpoint(open, { room_name: ROOM, participant_attributes: { team: 'red', 'lkx.ok': 'yes' } });
    expect(res.status, res.text).toBe(201);
    const claims = await verify((JSON.parse(res.text) as { participant_token: string }).participant_token);
    expect(claims.attributes).toEqual({ team: 'red', 'lkx.ok': 'yes' });
  });

  it('GET is 405, and a subscriber gets a subscriber token', async () => {
    const agent = liveKitApp(mode, { role: 'subscriber', rooms: 'any' });
    const get = await agent.get(LIVEKIT_ROUTE).set('authorization', bearer('carol'));
    expectProblem(get, 405, 'method_not_allowed');
    const res = await endpoint(agent, { room_name: ROOM });
    const claims = await verify((JSON.parse(res.text) as { participant_token: string }).participant_token);
    expect(claims.video).toMatchObject({
      canPublish: false,
      canSubscribe: true,
      canPublishData: false,
      roomAdmin: false,
    });
  });
});

describe('the LiveKit endpoint at start-up', () => {
  it('refuses to mount without the server URL, or without LiveKit', () => {
    const mode = MODES[0] as Mode;
    const base = { identify: apiKeyIdentify(mode.variant), clock };
    expect(() =>
      createApp(mode.variant, { ...base, livekit: { apiKey: API_KEY, apiSecret: API_SECRET } }, { liveKitRoute: true }),
    ).toThrow(/set livekit\.url/);
    expect(() =>
      createApp(mode.variant, { ...base, red5pro: { secret: generateSecret() } }, { liveKitRoute: true }),
    ).toThrow(/livekit: \{ apiKey, apiSecret, url \}/);
  });
});
