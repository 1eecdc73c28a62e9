/**
 * LiveKit in `roomkey serve`, configured by LiveKit's own variables: `/tokens {room}` and LiveKit's
 * standard endpoint `POST /livekit-token` give tokens livekit-server-sdk's TokenVerifier accepts,
 * to service keys and OIDC users allowed `livekit`, within their room caps; nobody else gets one.
 */
import { BUILT_IN_PLATFORMS, generateSecret } from '@roomkey/core';
import { TokenVerifier } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDP_AUDIENCE, type IdpStandIn, startIdpStandIn } from '../../../test/support/idp-stand-in.js';
import { roomkey, type Serving, scratchFile, serve } from './support/run.js';
import { type Answer, asKey, type Key, newKey, post } from './support/service.js';

const API_KEY = 'APIserve';
const API_SECRET = generateSecret();
const SERVER_URL = 'wss://media.example.test';
const LIVEKIT = { LIVEKIT_API_KEY: API_KEY, LIVEKIT_API_SECRET: API_SECRET, LIVEKIT_URL: SERVER_URL };
const ENV = { ...LIVEKIT, RED5PRO_JWT_SECRET: generateSecret() };
const ORIGIN = 'https://app.example.test';

const verify = (token: unknown) => new TokenVerifier(API_KEY, API_SECRET).verify(String(token));
const tokensOf = (answer: Answer) => (answer.body.tokens ?? {}) as Record<string, { token: string }>;
const entry = (name: string, key: Key, rest: object) => ({ name, sha256: key.sha256, users: 'any', ...rest });
const configFile = (keys: object[]) =>
  scratchFile('roomkey.json', JSON.stringify({ cors: { origins: [ORIGIN] }, identity: { service: { keys } } }));

describe('roomkey serve with LiveKit, for service keys', () => {
  let service: Serving;
  let classes: Key;
  let named: Key;
  let streams: Key;
  beforeAll(async () => {
    [classes, named, streams] = await Promise.all([newKey(), newKey(), newKey()]);
    service = await serve(ENV, [
      '--config',
      configFile([
        entry('classes', classes, { role: 'publisher', rooms: ['class-*'], platforms: ['livekit'] }),
        entry('named', named, {
          role: 'subscriber',
          rooms: 'any',
          platforms: ['livekit'],
          livekit: { clientMay: { name: true } },
        }),
        entry('streams', streams, { role: 'publisher', rooms: 'any', platforms: ['red5pro'], transports: 'any' }),
      ]),
    ]);
  });
  afterAll(() => service.stop());
  /** LiveKit's endpoint, asked by a key for ann. */
  const endpoint = (key: Key, body: object) => post(service, body, asKey(key, 'ann'), '/livekit-token');

  it('gives a key allowed livekit a token the SDK verifier accepts from POST /tokens {room}', async () => {
    const answer = await post(service, { room: 'class-1' }, asKey(classes, 'ann'));
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(Object.keys(tokensOf(answer))).toEqual(['livekit']);
    const claims = await verify(tokensOf(answer).livekit?.token);
    expect(claims).toMatchObject({
      iss: API_KEY,
      sub: 'ann',
      video: { room: 'class-1', roomJoin: true, canPublish: true, canSubscribe: true, roomAdmin: false },
    });
  });

  it("answers LiveKit's standard endpoint: 201 { server_url, participant_token } for the key's user and room", async () => {
    const answer = await endpoint(classes, { room_name: 'class-2', participant_identity: 'ann' });
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    expect(answer.body.server_url).toBe(SERVER_URL);
    const claims = await verify(answer.body.participant_token);
    expect(claims).toMatchObject({ sub: 'ann', video: { room: 'class-2', canPublish: true } });
    expect(claims.name).toBeUndefined();
  });

  it('holds the room cap on both routes, and another participant_identity is refused', async () => {
    const outside = await post(service, { room: 'staff' }, asKey(classes, 'ann'));
    expect(outside.status).toBe(403);
    const refused = await endpoint(classes, { room_name: 'staff' });
    expect(refused.status).toBe(403);
    expect(refused.body).not.toHaveProperty('participant_token');
    const other = await endpoint(classes, { room_name: 'class-1', participant_identity: 'bob' });
    expect(other.status).toBe(403);
  });

  it("lets a client set its name only when the key's livekit cap says clientMay.name (closed by default)", async () => {
    const closed = await endpoint(classes, { room_name: 'class-1', participant_name: 'Ann' });
    expect(closed.status).toBe(403);
    expect(closed.body.detail).toMatch(/participant_name/);
    const open = await endpoint(named, { room_name: 'lobby', participant_name: 'Ann' });
    expect(open.status, JSON.stringify(open.body)).toBe(201);
    const claims = await verify(open.body.participant_token);
    expect(claims).toMatchObject({ name: 'Ann', video: { room: 'lobby', canPublish: false, canSubscribe: true } });
  });

  it('gives a key without livekit no LiveKit token on either route', async () => {
    const answer = await post(service, { room: 'class-1' }, asKey(streams, 'ann'));
    expect(answer.status).toBe(200);
    expect(Object.keys(tokensOf(answer))).toEqual(['red5pro']);
    const refused = await endpoint(streams, { room_name: 'class-1' });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'forbidden' });
    expect(refused.body).not.toHaveProperty('participant_token');
  });

  it('answers the CORS preflight of /livekit-token for an allowed origin only', async () => {
    const preflight = (origin: string) =>
      fetch(`${service.url}/livekit-token`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST' },
      });
    const allowed = await preflight(ORIGIN);
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    const other = await preflight('https://evil.example.test');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('roomkey serve with LiveKit, for OIDC users', () => {
  let idp: IdpStandIn;
  beforeAll(async () => {
    idp = await startIdpStandIn();
  });
  afterAll(() => idp.close());
  const oidc = (platforms: string) => ({
    ...ENV,
    ROOMKEY_OIDC_ISSUER: idp.issuer,
    ROOMKEY_OIDC_AUDIENCE: IDP_AUDIENCE,
    ROOMKEY_OIDC_ROOMS: 'class-*',
    ROOMKEY_OIDC_PLATFORMS: platforms,
    ROOMKEY_OIDC_TRANSPORTS: 'any',
  });

  it('gives users allowed livekit a verified token on both routes, within ROOMKEY_OIDC_ROOMS', async () => {
    const service = await serve(oidc('livekit'));
    try {
      const bearer = { authorization: `Bearer ${await idp.mint({ sub: 'zoe', roles: ['moderator'] })}` };
      const endpoint = await post(service, { room_name: 'class-9' }, bearer, '/livekit-token');
      expect(endpoint.status, JSON.stringify(endpoint.body)).toBe(201);
      expect(await verify(endpoint.body.participant_token)).toMatchObject({
        sub: 'zoe',
        video: { room: 'class-9', roomAdmin: true },
      });
      const tokens = await post(service, { room: 'class-9' }, bearer);
      expect(await verify(tokensOf(tokens).livekit?.token)).toMatchObject({ sub: 'zoe' });
      expect((await post(service, { room_name: 'staff' }, bearer, '/livekit-token')).status).toBe(403);
    } finally {
      await service.stop();
    }
  });

  it('gives users not allowed livekit none on either route', async () => {
    const service = await serve(oidc('red5pro'));
    try {
      const bearer = { authorization: `Bearer ${await idp.mint({ sub: 'zoe', roles: ['publisher'] })}` };
      const tokens = await post(service, { room: 'class-1' }, bearer);
      expect(Object.keys(tokensOf(tokens))).toEqual(['red5pro']);
      const endpoint = await post(service, { room_name: 'class-1' }, bearer, '/livekit-token');
      expect(endpoint.status).toBe(403);
    } finally {
      await service.stop();
    }
  });
});

describe('roomkey serve: LiveKit configuration', () => {
  it("lists every platform of the registry in serve's and inspect's --help, with its variables, LiveKit's among them", async () => {
    const help = await roomkey(['serve', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain(
      'LiveKit: tokens livekit; LIVEKIT_API_KEY, LIVEKIT_API_SECRET, LIVEKIT_URL; caps livekit; routes /livekit-token',
    );
    const inspectHelp = await roomkey(['inspect', '--help']);
    expect(inspectHelp.stdout).toContain('LiveKit: LIVEKIT_API_KEY, LIVEKIT_API_SECRET, LIVEKIT_URL');
    for (const platform of BUILT_IN_PLATFORMS) {
      for (const variable of platform.env?.variables ?? []) {
        expect(help.stdout).toContain(variable);
        if (platform.explain !== undefined) expect(inspectHelp.stdout).toContain(variable);
      }
    }
  });

  it('mounts /livekit-token only with LIVEKIT_URL, and --check lists the routes', async () => {
    const key = await newKey();
    const file = configFile([entry('k', key, { role: 'publisher', rooms: 'any', platforms: ['livekit'] })]);
    const { LIVEKIT_URL: _url, ...noUrl } = LIVEKIT;
    const check = await roomkey(['serve', '--check', '--config', file], LIVEKIT);
    expect(check.code, check.stderr).toBe(0);
    expect(check.stdout).toContain('tokens livekit;');
    expect(check.stdout).toContain('; routes POST /tokens, /livekit-token\n');
    const withoutUrl = await roomkey(['serve', '--check', '--config', file], noUrl);
    expect(withoutUrl.stdout).toContain('; routes POST /tokens\n');
    const service = await serve(noUrl, ['--config', file]);
    try {
      expect(service.lines().find((line) => line.event === 'roomkey.listening')?.routes).toEqual(['/tokens']);
      const tokens = await post(service, { room: 'a' }, asKey(key));
      expect(Object.keys(tokensOf(tokens))).toEqual(['livekit']);
      expect((await post(service, { room_name: 'a' }, asKey(key), '/livekit-token')).status).toBe(404);
    } finally {
      await service.stop();
    }
  });

  it('refuses a livekit cap the grant could not hold, at start-up', async () => {
    const key = await newKey();
    const file = configFile([
      entry('k', key, {
        role: 'publisher',
        rooms: 'any',
        platforms: ['livekit'],
        livekit: { clientMay: { name: 'yes' } },
      }),
    ]);
    const result = await roomkey(['serve', '--check', '--config', file], LIVEKIT);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('identity.service.keys[0].livekit: livekit must be an object');
  });
});
