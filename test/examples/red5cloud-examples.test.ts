/**
 * The Express, Koa, Fastify and Hono example servers with Red5 Cloud configured from the environment
 * (RED5_MASTER_KEY, RED5_MASTER_SECRET, and PUBNUB_ORIGIN pointing at a local PubNub Access
 * Manager stand-in): the Red5 WebRTC SDK's routes with the demo identity from the
 * `roomkey_demo` cookie or the Authorization header, the start-up banner, and the start-up
 * checks of examples/shared/config.js.
 */
import { generateSecret } from '@roomkey/core';
import { type PubNubStandIn, startPubNubStandIn } from '@roomkey/pubnub-stand-in';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  CONFERENCE_CLAIMS,
  credentialFields,
  makeCredentials,
  makeMasterKey,
  referenceMasterSecret,
  standInKeyset,
} from '../../packages/core/test/support/red5cloud.js';
import { type Framework, type RunningExample, runFailingExample, startExample } from './run-example.js';

const frameworks: Framework[] = ['express', 'koa', 'fastify', 'hono'];
const red5proSecret = generateSecret();
const masterKey = makeMasterKey();
const credentials = makeCredentials();
const masterSecret = referenceMasterSecret(masterKey, credentialFields(credentials));
const ROOM = 'room-abc';
const CHANNEL = 'channel-global';

let standIn: PubNubStandIn;
const servers = new Map<Framework, RunningExample>();

/** The environment of a configured example: Red5 Pro plus Red5 Cloud, PubNub on the stand-in. */
function red5CloudEnv(): Record<string, string> {
  return {
    RED5PRO_JWT_SECRET: red5proSecret,
    RED5_MASTER_KEY: masterKey,
    RED5_MASTER_SECRET: masterSecret,
    PUBNUB_ORIGIN: standIn.origin,
  };
}

beforeAll(async () => {
  standIn = await startPubNubStandIn(standInKeyset(credentials));
  const started = await Promise.all(frameworks.map((framework) => startExample(framework, red5CloudEnv())));
  frameworks.forEach((framework, index) => {
    servers.set(framework, started[index] as RunningExample);
  });
});

afterAll(async () => {
  await Promise.all([...servers.values()].map((server) => server.stop()));
  await standIn?.close();
});

beforeEach(() => {
  standIn.mode = 'ok';
});

interface Caller {
  /** A demo user name sent as `Authorization: Bearer <name>`. */
  readonly bearer?: string;
  /** A value for the `roomkey_demo` cookie. */
  readonly cookie?: string;
}

async function post(framework: Framework, path: string, body: unknown, { bearer, cookie }: Caller) {
  const server = servers.get(framework);
  if (!server) throw new Error(`${framework} example is not running`);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (bearer !== undefined) headers.authorization = `Bearer ${bearer}`;
  if (cookie !== undefined) headers.cookie = `theme=dark; roomkey_demo=${cookie}`;
  const response = await fetch(`${server.url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
  const text = await response.text();
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    cacheControl: response.headers.get('cache-control'),
    wwwAuthenticate: response.headers.get('www-authenticate'),
    text,
    json: JSON.parse(text) as Record<string, unknown>,
  };
}

const chat = (framework: Framework, body: unknown, caller: Caller) => post(framework, '/chat-token', body, caller);
const conference = (framework: Framework, body: unknown, caller: Caller) =>
  post(framework, '/config-meetings/api/generate-token', body, caller);

/** The server's output once it matches `pattern` (or, after 5 s, as it is, for the assertion to show). */
async function outputMatching(framework: Framework, pattern: RegExp): Promise<string> {
  const server = servers.get(framework);
  const deadline = Date.now() + 5_000;
  while (server !== undefined && !pattern.test(server.output()) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const output = server?.output() ?? '';
  expect(output).toMatch(pattern);
  return output;
}

/** Every credential the examples hold: none may be printed. */
function secrets(): string[] {
  return [masterKey, masterSecret, red5proSecret, ...credentialFields(credentials), ...standIn.tokens];
}

describe.each(frameworks)('the %s example with RED5_MASTER_KEY, RED5_MASTER_SECRET and PUBNUB_ORIGIN', (framework) => {
  it('lists the Red5 Cloud tokens and the SDK routes in its banner, and no credential', () => {
    const output = servers.get(framework)?.output() ?? '';
    expect(output).toContain('Tokens: red5pro, conference, chat.');
    expect(output).toContain('POST /chat-token');
    expect(output).toContain('POST /config-meetings/api/generate-token');
    expect(output).toContain('roomkey_demo=demo-bob');
    for (const value of secrets()) expect(output).not.toContain(value);
  });

  it('issues a chat token on /chat-token to the demo identity in the roomkey_demo cookie', async () => {
    const res = await chat(
      framework,
      { userId: 'bob', channelId: CHANNEL, read: true, write: true, ttlMinutes: 5 },
      { cookie: 'demo-bob' },
    );
    expect(res.status, res.text).toBe(200);
    expect(res.cacheControl).toBe('no-store');
    expect(Object.keys(res.json)).toEqual(['token']);
    const grant = standIn.last();
    expect(res.json.token).toBe(grant.token);
    expect(grant.signatureValid).toBe(true);
    expect(grant.timestampValid).toBe(true);
    expect(grant.json?.ttl).toBe(5);
    expect(grant.json?.permissions.uuid).toBe('bob');
    expect(grant.json?.permissions.resources.channels).toEqual({ [CHANNEL]: 3, [`${CHANNEL}-pnpres`]: 1 });
  });

  it('issues a conference token on generate-token to the cookie’s demo identity, with its role', async () => {
    const res = await conference(
      framework,
      { userId: 'alice', channelId: ROOM, expirationMinutes: 10 },
      { cookie: 'demo-alice' },
    );
    expect(res.status, res.text).toBe(200);
    expect(res.cacheControl).toBe('no-store');
    expect(Object.keys(res.json)).toEqual(['success', 'token']);
    expect(res.json.success).toBe(true);
    const token = res.json.token as string;
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256', typ: 'JWT' });
    const { payload } = await jwtVerify(token, new TextEncoder().encode(credentials.conferenceSecret), {
      algorithms: ['HS256'],
    });
    expect(Object.keys(payload)).toEqual(CONFERENCE_CLAIMS);
    expect(jwt.verify(token, credentials.conferenceSecret, { algorithms: ['HS256'] })).toEqual(payload);
    const grant = standIn.last();
    expect(payload).toMatchObject({
      uid: 'alice',
      roomId: ROOM,
      role: 'admin',
      pubnubSubscribeKey: credentials.pubnubSubscribeKey,
      pubnubPublishKey: credentials.pubnubPublishKey,
      pubnubToken: grant.token,
    });
    expect((payload.exp as number) - (payload.iat as number)).toBe(600);
    expect(grant.json?.permissions.uuid).toBe('alice');
  });

  it('holds the cookie’s user to their grant: a subscriber may read the chat but not write', async () => {
    const read = await chat(framework, { userId: 'carol', channelId: CHANNEL }, { cookie: 'demo-carol' });
    expect(read.status, read.text).toBe(200);
    expect(standIn.last().json?.permissions.resources.channels).toEqual({ [CHANNEL]: 1, [`${CHANNEL}-pnpres`]: 1 });
    const before = standIn.requests.length;
    const write = await chat(framework, { userId: 'carol', channelId: CHANNEL, write: true }, { cookie: 'demo-carol' });
    expect(write.status).toBe(403);
    expect(write.json.code).toBe('forbidden');
    expect(standIn.requests).toHaveLength(before);
  });

  it('lets an Authorization header beat the cookie, even one that names nobody', async () => {
    // carol by header, alice by cookie: the request is carol's.
    const both = { bearer: 'demo-carol', cookie: 'demo-alice' };
    const asAlice = await conference(framework, { userId: 'alice', channelId: ROOM }, both);
    expect(asAlice.status).toBe(403);
    expect(asAlice.json).toMatchObject({ code: 'forbidden', success: false });
    const asCarol = await conference(framework, { userId: 'carol', channelId: ROOM }, both);
    expect(asCarol.status, asCarol.text).toBe(200);
    const claims = jwt.verify(asCarol.json.token as string, credentials.conferenceSecret) as Record<string, unknown>;
    expect(claims).toMatchObject({ uid: 'carol', role: 'subscriber' });

    const unknownHeader = await chat(
      framework,
      { userId: 'bob', channelId: CHANNEL },
      { bearer: 'nobody', cookie: 'demo-bob' },
    );
    expect(unknownHeader.status).toBe(401);
    expect(unknownHeader.wwwAuthenticate).toMatch(/^Bearer /);
  });

  it('refuses a request with neither header nor a demo cookie with 401', async () => {
    const none = await chat(framework, { userId: 'bob', channelId: CHANNEL }, {});
    expect(none.status).toBe(401);
    expect(none.json.code).toBe('unauthenticated');
    const stranger = await conference(framework, { userId: 'bob', channelId: ROOM }, { cookie: 'demo-mallory' });
    expect(stranger.status).toBe(401);
    expect(stranger.json).toMatchObject({ code: 'unauthenticated', success: false });
  });

  it('answers 502 when PubNub refuses, and logs what failed but no credential or token', async () => {
    standIn.mode = 'forbidden';
    const res = await chat(framework, { userId: 'bob', channelId: CHANNEL }, { bearer: 'demo-bob' });
    expect(res.status).toBe(502);
    expect(res.contentType).toBe('application/problem+json');
    expect(res.json.code).toBe('upstream_error');
    for (const value of secrets()) expect(res.text).not.toContain(value);
    // The log line travels through the child's stdout pipe: wait for it rather than race it.
    const output = await outputMatching(framework, /refused the grant with HTTP 403/);
    expect(output).toContain('roomkey.issued');
    for (const value of secrets()) expect(output).not.toContain(value);
    for (const grant of standIn.requests) expect(output).not.toContain(grant.query.signature);
  });
});

describe('Red5 Cloud configuration mistakes stop the examples at start-up', () => {
  const otherKey = makeMasterKey();
  const badSecrets = [
    ['cut short', masterSecret.slice(0, -8), /RED5_MASTER_SECRET: masterSecret does not have the shape/],
    [
      'not base64',
      `not-a-master-secret-${generateSecret().slice(0, 12)}!`,
      /RED5_MASTER_SECRET: masterSecret is not base64/,
    ],
    [
      'made for another master key',
      referenceMasterSecret(otherKey, credentialFields(credentials)),
      /RED5_MASTER_SECRET: masterSecret does not decrypt with this masterKey/,
    ],
  ] as const;

  /** Both examples refuse to start with `env`, saying `message` and echoing none of `secrets`. */
  async function expectRefused(env: Record<string, string>, message: RegExp, secrets: readonly string[]) {
    const results = await Promise.all(frameworks.map((framework) => runFailingExample(framework, env)));
    for (const { code, output } of results) {
      expect(code).toBe(1);
      expect(output).toMatch(message);
      expect(output).not.toContain('listening');
      for (const secret of secrets) expect(output).not.toContain(secret);
    }
  }

  it.each(badSecrets)('refuse a RED5_MASTER_SECRET that is %s, without echoing it', async (_name, value, message) => {
    await expectRefused(
      { RED5PRO_JWT_SECRET: red5proSecret, RED5_MASTER_KEY: masterKey, RED5_MASTER_SECRET: value },
      message,
      [value, value.slice(0, 16), masterKey, red5proSecret],
    );
  });

  const badOrigins = [
    ['with a scheme', 'https://ps.pndsn.com', /PUBNUB_ORIGIN: pubnub\.origin must be a host name/],
    ['with a path', 'ps.pndsn.com/v3/pam', /PUBNUB_ORIGIN: pubnub\.origin must be a host name/],
    ['that is only a scheme', 'http:', /PUBNUB_ORIGIN: pubnub\.origin must be a host name/],
    ['with a space', 'ps pndsn.com', /PUBNUB_ORIGIN must be host or host:port/],
    ['with a port out of range', '127.0.0.1:99999', /PUBNUB_ORIGIN must be host or host:port/],
  ] as const;

  it.each(badOrigins)('refuse a PUBNUB_ORIGIN %s (%s)', async (_name, origin, message) => {
    await expectRefused(
      {
        RED5PRO_JWT_SECRET: red5proSecret,
        RED5_MASTER_KEY: masterKey,
        RED5_MASTER_SECRET: masterSecret,
        PUBNUB_ORIGIN: origin,
      },
      message,
      [masterSecret],
    );
  });

  it.each([
    ['RED5_MASTER_KEY alone', { RED5_MASTER_KEY: masterKey }, /set RED5_MASTER_KEY and RED5_MASTER_SECRET together/],
    [
      'PUBNUB_ORIGIN without Red5 Cloud',
      { PUBNUB_ORIGIN: '127.0.0.1:8090' },
      /PUBNUB_ORIGIN is set but Red5 Cloud is not/,
    ],
  ])('refuse %s', async (_name, extra, message) => {
    await expectRefused({ RED5PRO_JWT_SECRET: red5proSecret, ...extra }, message, [masterSecret, masterKey]);
  });
});

describe('RED5_CLOUD_LOCAL: Red5 Cloud tried on one machine, no account', () => {
  it.each(frameworks)(
    '%s: demo credentials and a PubNub stand-in started with the server; conference and chat tokens for demo-bob',
    async (framework) => {
      const server = await startExample(framework, { RED5PRO_JWT_SECRET: red5proSecret, RED5_CLOUD_LOCAL: 'true' });
      try {
        expect(server.output()).toMatch(/Red5 Cloud: local mode \(RED5_CLOUD_LOCAL\).*http:\/\/127\.0\.0\.1:\d+/);
        expect(server.output()).toContain('Tokens: red5pro, conference, chat.');
        const res = await fetch(`${server.url}/tokens`, {
          method: 'POST',
          headers: { authorization: 'Bearer demo-bob', 'content-type': 'application/json' },
          body: JSON.stringify({ room: ROOM, channel: CHANNEL, role: 'publisher' }),
        });
        expect(res.status).toBe(200);
        const body = (await res.json()) as { tokens: Record<string, { token: string }> };
        expect(Object.keys(body.tokens)).toEqual(['red5pro', 'conference', 'chat']);
        const conference = jwt.decode(body.tokens.conference?.token ?? '') as Record<string, unknown>;
        expect(conference).toMatchObject({ uid: 'bob', roomId: ROOM, role: 'publisher' });
        expect(Object.keys(conference)).toEqual(CONFERENCE_CLAIMS);
        // The stand-in answers a token only for a grant whose v2 signature it could verify.
        expect(conference.pubnubToken).toMatch(/^qEF2AkF0/);
        expect(body.tokens.chat?.token).toMatch(/^qEF2AkF0/);
      } finally {
        await server.stop();
      }
    },
  );

  it.each([
    [
      'beside real credentials',
      { RED5_MASTER_KEY: masterKey, RED5_MASTER_SECRET: masterSecret },
      /unset RED5_MASTER_KEY, RED5_MASTER_SECRET/,
    ],
    ['in production', { NODE_ENV: 'production' }, /RED5_CLOUD_LOCAL is for trying Red5 Cloud on your own machine/],
    ['with a value other than true or false', { RED5_CLOUD_LOCAL: 'yes' }, /RED5_CLOUD_LOCAL must be true or false/],
  ])('is refused %s', async (_name, extra, message) => {
    const { code, output } = await runFailingExample('express', {
      RED5PRO_JWT_SECRET: red5proSecret,
      RED5_CLOUD_LOCAL: 'true',
      ...extra,
    });
    expect(code).toBe(1);
    expect(output).toMatch(message);
    expect(output).not.toContain(masterSecret);
  });
});
