import { once } from 'node:events';
import { connect } from 'node:net';
import { generateSecret } from '@roomkey/core';
import type { PubNubStandIn } from '@roomkey/pubnub-stand-in';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDP_AUDIENCE, type IdpStandIn, startIdpStandIn } from '../../../test/support/idp-stand-in.js';
import { roomkey, type Serving, scratchFile, serve } from './support/run.js';
import { type Answer, asKey, type Key, newKey, OPENTOK, post, red5CloudStandIn, SESSION } from './support/service.js';

/*
 * Issue 18's points on `roomkey serve`: every cap holds for every token kind and every route,
 * for service keys and for OIDC users; a caller's own input is never a 500.
 */

const SECRET = generateSecret();
const KINDS = ['red5pro', 'conference', 'chat', 'vonage'] as const;
type Kind = (typeof KINDS)[number];

/** A key entry that may act for any user (written out, as the configuration requires). */
const keyEntry = (name: string, key: Key, rest: Record<string, unknown>) => ({
  name,
  sha256: key.sha256,
  users: 'any',
  ...rest,
});
const configFile = (value: object) => scratchFile('roomkey.json', JSON.stringify(value));
const keysFile = (keys: object[], rest: object = {}) => configFile({ ...rest, identity: { service: { keys } } });
const tokenNames = (answer: Answer) => Object.keys((answer.body.tokens as object | undefined) ?? {});
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Every route and request shape, and the one token kind each may give. */
const ASKS: readonly { what: string; path: string; body: (user: string) => object; gives: Kind }[] = [
  { what: 'POST /tokens with a room (Red5 Pro)', path: '/tokens', body: () => ({ room: 'class-1' }), gives: 'red5pro' },
  {
    what: 'POST /tokens with a room (Red5 Cloud conference)',
    path: '/tokens',
    body: () => ({ room: 'class-1' }),
    gives: 'conference',
  },
  { what: 'POST /tokens with a channel', path: '/tokens', body: () => ({ channel: 'class-chat' }), gives: 'chat' },
  { what: 'POST /tokens with a session', path: '/tokens', body: () => ({ session: SESSION }), gives: 'vonage' },
  {
    what: 'POST /chat-token',
    path: '/chat-token',
    body: (user) => ({ userId: user, channelId: 'class-chat' }),
    gives: 'chat',
  },
  {
    what: 'POST /config-meetings/api/generate-token',
    path: '/config-meetings/api/generate-token',
    body: (user) => ({ userId: user, channelId: 'class-1' }),
    gives: 'conference',
  },
];

/** What a caller allowed exactly `kind` got for each ask: the tokens it answered with, or none. */
async function everyAsk(service: Serving, headers: Record<string, string>, user: string) {
  const results: { what: string; status: number; tokens: string[] }[] = [];
  for (const ask of ASKS) {
    const answer = await post(service, ask.body(user), headers, ask.path);
    const tokens =
      ask.path === '/tokens'
        ? tokenNames(answer)
        : answer.status === 200 && typeof answer.body.token === 'string'
          ? [ask.gives]
          : [];
    results.push({ what: ask.what, status: answer.status, tokens });
  }
  return results;
}

/** The answers a caller allowed exactly `kind` must get: an ask gives `kind` when one of the same request does. */
function expectedFor(kind: Kind) {
  return ASKS.map((ask) => ({
    what: ask.what,
    tokens: ASKS.filter((other) => other.path === ask.path && sameBody(other, ask) && other.gives === kind).map(
      (other) => other.gives,
    ),
  }));
}
const sameBody = (a: (typeof ASKS)[number], b: (typeof ASKS)[number]) =>
  JSON.stringify(a.body('u')) === JSON.stringify(b.body('u'));

describe('roomkey serve caps every token kind on every route', () => {
  let standIn: PubNubStandIn;
  let idp: IdpStandIn;
  let env: Record<string, string>;
  const keys = new Map<Kind, Key>();
  let service: Serving;
  beforeAll(async () => {
    let cloud: Record<string, string>;
    [{ standIn, env: cloud }, idp] = await Promise.all([red5CloudStandIn(), startIdpStandIn()]);
    env = { RED5PRO_JWT_SECRET: SECRET, ...OPENTOK, ...cloud };
    for (const kind of KINDS) keys.set(kind, await newKey());
    const entries = KINDS.map((kind) =>
      keyEntry(kind, keys.get(kind) as Key, {
        role: 'publisher',
        rooms: 'any',
        channels: 'any',
        sessions: 'any',
        platforms: [kind],
        ...(kind === 'red5pro' && { transports: 'any' }),
      }),
    );
    service = await serve(env, ['--config', keysFile(entries)]);
  });
  afterAll(async () => {
    await service.stop();
    await Promise.all([standIn.close(), idp.close()]);
  });

  it.each(KINDS)('gives a service key allowed only %s tokens nothing else, on any route', async (kind) => {
    const results = await everyAsk(service, asKey(keys.get(kind) as Key, 'ann'), 'ann');
    expect(results.map(({ what, tokens }) => ({ what, tokens }))).toEqual(expectedFor(kind));
    for (const { status, tokens } of results) expect(status === 200).toBe(tokens.length > 0);
  });

  it.each(KINDS)('gives OIDC users allowed only %s tokens (ROOMKEY_OIDC_PLATFORMS) nothing else', async (kind) => {
    const oidc = await serve({
      ...env,
      ROOMKEY_OIDC_ISSUER: idp.issuer,
      ROOMKEY_OIDC_AUDIENCE: IDP_AUDIENCE,
      ROOMKEY_OIDC_ROOMS: 'any',
      ROOMKEY_OIDC_CHANNELS: 'any',
      ROOMKEY_OIDC_SESSIONS: 'any',
      ROOMKEY_OIDC_PLATFORMS: kind,
      ROOMKEY_OIDC_TRANSPORTS: 'any',
    });
    try {
      const token = await idp.mint({ sub: 'ann', roles: ['publisher'] });
      const results = await everyAsk(oidc, bearer(token), 'ann');
      expect(results.map(({ what, tokens }) => ({ what, tokens }))).toEqual(expectedFor(kind));
      for (const { status, tokens } of results) expect(status === 200).toBe(tokens.length > 0);
    } finally {
      await oidc.stop();
    }
  });

  it('answers 400 naming the limit (never the value) to a Roomkey-User a chat token cannot carry', async () => {
    const user = 'u'.repeat(200);
    const chat = await post(service, { channel: 'class-chat' }, asKey(keys.get('chat') as Key, user));
    expect(chat.status, JSON.stringify(chat.body)).toBe(400);
    expect(chat.body).toMatchObject({ code: 'invalid_request' });
    expect(chat.body.detail).toMatch(/Roomkey-User/);
    expect(chat.body.detail).toMatch(/64/);
    expect(JSON.stringify(chat.body)).not.toContain(user);
    const sdk = await post(
      service,
      { userId: user, channelId: 'class-1' },
      asKey(keys.get('conference') as Key, user),
      '/config-meetings/api/generate-token',
    );
    expect(sdk.status).toBe(400);
    // Red5 Pro carries it: the same user gets a Red5 Pro token.
    const stream = await post(service, { room: 'class-1' }, asKey(keys.get('red5pro') as Key, user));
    expect(stream.status, JSON.stringify(stream.body)).toBe(200);
    expect(decodeJwt((stream.body.tokens as Record<string, { token: string }>).red5pro?.token ?? '').sub).toBe(user);
    expect(service.output()).not.toMatch(/"level":50/);
  });

  it('answers 403 to an OIDC subject no token of the platforms can carry, and warns once per subject', async () => {
    const oidc = await serve({
      ...env,
      ROOMKEY_OIDC_ISSUER: idp.issuer,
      ROOMKEY_OIDC_AUDIENCE: IDP_AUDIENCE,
      ROOMKEY_OIDC_CHANNELS: 'any',
      ROOMKEY_OIDC_PLATFORMS: 'chat',
    });
    try {
      const sub = `user-${'x'.repeat(95)}`;
      const token = await idp.mint({ sub, roles: ['publisher'] });
      for (let attempt = 0; attempt < 3; attempt++) {
        const answer = await post(oidc, { channel: 'class-chat' }, bearer(token));
        expect(answer.status, JSON.stringify(answer.body)).toBe(403);
        expect(answer.body.detail).toMatch(/64/);
        expect(JSON.stringify(answer.body)).not.toContain(sub);
      }
      const warnings = oidc.lines().filter((line) => line.event === 'roomkey.subject_unusable');
      expect(warnings).toHaveLength(1);
      expect(warnings[0]?.level).toBe(40);
      expect(oidc.output()).not.toMatch(/"level":50/);
    } finally {
      await oidc.stop();
    }
  });
});

describe('roomkey serve: users a service key may act for', () => {
  let service: Serving;
  let kiosk: Key;
  let backend: Key;
  beforeAll(async () => {
    [kiosk, backend] = await Promise.all([newKey(), newKey()]);
    const keys = [
      {
        ...keyEntry('kiosk', kiosk, { role: 'subscriber', rooms: 'any', platforms: ['red5pro'], transports: 'any' }),
        users: ['kiosk-*', 'lobby-screen'],
      },
      keyEntry('backend', backend, { role: 'publisher', rooms: 'any', platforms: ['red5pro'], transports: 'any' }),
    ];
    service = await serve({ RED5PRO_JWT_SECRET: SECRET }, ['--config', keysFile(keys)]);
  });
  afterAll(() => service.stop());

  it('lets a key act only for the users its patterns name; "any" for anyone', async () => {
    expect((await post(service, { room: 'hall' }, asKey(kiosk, 'kiosk-3'))).status).toBe(200);
    expect((await post(service, { room: 'hall' }, asKey(kiosk, 'lobby-screen'))).status).toBe(200);
    const alice = await post(service, { room: 'hall' }, asKey(kiosk, 'alice'));
    expect(alice.status).toBe(403);
    expect(alice.body).toMatchObject({ code: 'forbidden' });
    expect(alice.body).not.toHaveProperty('tokens');
    expect((await post(service, { room: 'hall' }, asKey(kiosk, 'lobby-screen-2'))).status).toBe(403);
    expect((await post(service, { room: 'hall' }, asKey(backend, 'alice'))).status).toBe(200);
  });

  it('refuses a Roomkey-User with a comma, a quote or a backslash: kiosk-1,alice must not pass kiosk-*', async () => {
    for (const user of ['kiosk-1,alice', 'kiosk-"x"', 'kiosk-a\\b']) {
      const res = await post(service, { room: 'hall' }, asKey(kiosk, user));
      expect(res.status, user).toBe(400);
      expect(res.body).toMatchObject({ code: 'invalid_request' });
      expect(res.body).not.toHaveProperty('tokens');
    }
  });

  it('refuses at start-up a pattern of only *: "any" is written out, never implied', async () => {
    const key = await newKey();
    for (const caps of [
      { users: ['*'], rooms: ['lobby'] },
      { users: ['kiosk-*'], rooms: ['**'] },
    ]) {
      const file = keysFile([
        { ...keyEntry('star', key, { role: 'subscriber', platforms: ['red5pro'], transports: 'any' }), ...caps },
      ]);
      const result = await roomkey(['serve', '--check', '--config', file], { RED5PRO_JWT_SECRET: SECRET });
      expect(result.code, JSON.stringify(caps)).toBe(2);
      expect(result.stderr).toMatch(/only \* .*write "any"/);
    }
  });

  it('refuses at start-up a key that does not say which users it may act for', async () => {
    const key = await newKey();
    const file = keysFile([
      { name: 'old', sha256: key.sha256, role: 'subscriber', rooms: 'any', platforms: ['red5pro'], transports: 'any' },
    ]);
    const result = await roomkey(['serve', '--check', '--config', file], { RED5PRO_JWT_SECRET: SECRET });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('identity.service.keys[0].users');
    expect(result.stderr).toMatch(/"any"/);
  });

  it('matches a backtracking-prone pattern against a hostile name at once, and correctly', async () => {
    const key = await newKey();
    const hostile = keysFile([
      keyEntry('hostile', key, {
        role: 'subscriber',
        rooms: ['*-*-*-*-*-*.live'],
        platforms: ['red5pro'],
        transports: 'any',
      }),
    ]);
    const other = await serve({ RED5PRO_JWT_SECRET: SECRET }, ['--config', hostile]);
    try {
      // A backtracking RegExp took ~30 s here (the test's time limit fails it); a linear match answers at once.
      const refused = await post(other, { room: `a${'-'.repeat(127)}` }, asKey(key));
      expect(refused.status).toBe(403);
      expect((await post(other, { room: 'a-b-c-d-e-f.live' }, asKey(key))).status).toBe(200);
      expect((await post(other, { room: `a${'-'.repeat(100)}.live` }, asKey(key))).status).toBe(200);
    } finally {
      await other.stop();
    }
  });
});

describe('roomkey serve: metrics, probes and CORS', () => {
  let key: Key;
  let file: string;
  beforeAll(async () => {
    key = await newKey();
    const entry = keyEntry('k', key, { role: 'publisher', rooms: 'any', platforms: 'any', transports: 'any' });
    file = keysFile([entry], { cors: { origins: ['https://app.example.com', 'http://localhost:5173'] } });
  });

  it('serves no /metrics on the token port by default, and logs health probes at debug only', async () => {
    const service = await serve({ RED5PRO_JWT_SECRET: SECRET }, ['--config', file]);
    try {
      expect(service.metrics).toBe('off');
      expect((await fetch(`${service.url}/metrics`)).status).toBe(404);
      expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
      expect((await fetch(`${service.url}/readyz`)).status).toBe(200);
      await post(service, { room: 'r1' }, asKey(key));
      await service.waitFor((line) => line.event === 'roomkey.request' && line.route === '/tokens');
      const probes = service.lines().filter((line) => line.route === '/healthz' || line.route === '/readyz');
      expect(probes).toEqual([]);
    } finally {
      await service.stop();
    }
    const debug = await serve({ RED5PRO_JWT_SECRET: SECRET, LOG_LEVEL: 'debug' }, ['--config', file]);
    try {
      await fetch(`${debug.url}/healthz`);
      const line = await debug.waitFor((entry) => entry.route === '/healthz');
      expect(line.level).toBe(20);
    } finally {
      await debug.stop();
    }
  });

  it('answers CORS preflights and answers for the allowed origins only, exactly', async () => {
    const service = await serve({ RED5PRO_JWT_SECRET: SECRET }, ['--config', file]);
    try {
      const preflight = (origin: string, path = '/tokens') =>
        fetch(`${service.url}${path}`, {
          method: 'OPTIONS',
          headers: {
            origin,
            'access-control-request-method': 'POST',
            'access-control-request-headers': 'authorization,content-type',
          },
        });
      const allowed = await preflight('https://app.example.com');
      expect(allowed.status).toBe(204);
      expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
      expect(allowed.headers.get('access-control-allow-methods')).toBe('POST');
      expect(allowed.headers.get('access-control-allow-headers')?.toLowerCase()).toBe('authorization, content-type');
      expect(Number(allowed.headers.get('access-control-max-age'))).toBeGreaterThan(0);
      expect(allowed.headers.get('vary')).toMatch(/Origin/);
      const second = await preflight('http://localhost:5173');
      expect(second.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
      for (const origin of ['https://evil.example', 'https://app.example.com.evil.example', 'null']) {
        const other = await preflight(origin);
        expect(other.headers.get('access-control-allow-origin')).toBeNull();
        expect(other.headers.get('vary')).toMatch(/Origin/);
      }
      const actual = await post(service, { room: 'r1' }, { ...asKey(key), origin: 'https://app.example.com' });
      expect(actual.status).toBe(200);
      expect(actual.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
      expect(actual.headers.get('vary')).toMatch(/Origin/);
      const foreign = await post(service, { room: 'r1' }, { ...asKey(key), origin: 'https://evil.example' });
      expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await service.stop();
    }
    // Closed when unset: the same preflight gets no allow-origin.
    const closed = await serve({ RED5PRO_JWT_SECRET: SECRET }, [
      '--config',
      keysFile([keyEntry('k', key, { role: 'publisher', rooms: 'any', platforms: 'any', transports: 'any' })]),
    ]);
    try {
      const answer = await fetch(`${closed.url}/tokens`, {
        method: 'OPTIONS',
        headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST' },
      });
      expect(answer.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await closed.stop();
    }
  });

  it('takes ROOMKEY_CORS_ORIGINS and refuses at start-up an origin with a path or a wildcard', async () => {
    const fromEnv = await serve(
      { RED5PRO_JWT_SECRET: SECRET, ROOMKEY_CORS_ORIGINS: 'https://a.example, https://b.example:8443' },
      ['--config', file],
    );
    try {
      const answer = await fetch(`${fromEnv.url}/tokens`, {
        method: 'OPTIONS',
        headers: { origin: 'https://b.example:8443', 'access-control-request-method': 'POST' },
      });
      expect(answer.status).toBe(204);
      expect(answer.headers.get('access-control-allow-origin')).toBe('https://b.example:8443');
    } finally {
      await fromEnv.stop();
    }
    for (const bad of ['https://app.example.com/', 'https://*.example.com', '*', 'app.example.com']) {
      const result = await roomkey(['serve', '--check', '--config', file], {
        RED5PRO_JWT_SECRET: SECRET,
        ROOMKEY_CORS_ORIGINS: bad,
      });
      expect(result.code, bad).toBe(2);
      expect(result.stderr).toContain('ROOMKEY_CORS_ORIGINS');
      expect(result.stderr).toMatch(/scheme:\/\/host/);
    }
  });
});

describe('roomkey serve: smaller points', () => {
  it('maps OIDC roles publisher-only and subscriber together to their join, publisher', async () => {
    const idp = await startIdpStandIn();
    const service = await serve({
      RED5PRO_JWT_SECRET: SECRET,
      ROOMKEY_OIDC_ISSUER: idp.issuer,
      ROOMKEY_OIDC_AUDIENCE: IDP_AUDIENCE,
      ROOMKEY_OIDC_ROOMS: 'any',
      ROOMKEY_OIDC_PLATFORMS: 'red5pro',
      ROOMKEY_OIDC_TRANSPORTS: 'any',
    });
    try {
      const token = await idp.mint({ sub: 'pat', roles: ['publisher-only', 'subscriber'] });
      const answer = await post(service, { room: 'stage' }, bearer(token));
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      expect(answer.body).toMatchObject({ identity: 'pat', role: 'publisher' });
    } finally {
      await service.stop();
      await idp.close();
    }
  });

  it('gives back the failed-attempt point of a valid key that forgot Roomkey-User, and routes an absolute-form target', async () => {
    const key = await newKey();
    const file = keysFile([
      keyEntry('k', key, { role: 'publisher', rooms: 'any', platforms: 'any', transports: 'any' }),
    ]);
    const service = await serve({ RED5PRO_JWT_SECRET: SECRET, RATE_LIMIT_FAILURES: '2/600' }, ['--config', file]);
    try {
      for (let attempt = 0; attempt < 4; attempt++) {
        const forgot = await post(service, { room: 'r' }, { authorization: `Bearer ${key.key}` });
        expect(forgot.status).toBe(400);
      }
      expect((await post(service, { room: 'r' }, asKey(key))).status).toBe(200);

      const { port, hostname } = new URL(service.url);
      const body = JSON.stringify({ room: 'r' });
      const socket = connect(Number(port), hostname);
      await once(socket, 'connect');
      let answer = '';
      socket.on('data', (chunk) => {
        answer += chunk;
      });
      socket.end(
        `POST http://${hostname}:${port}/tokens HTTP/1.1\r\nHost: ${hostname}:${port}\r\nAuthorization: Bearer ${key.key}\r\n` +
          `Roomkey-User: dora\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
      );
      await once(socket, 'close');
      expect(answer).toMatch(/^HTTP\/1.1 200 OK/);
      expect(answer).toMatch(/"identity":"dora"/);
    } finally {
      await service.stop();
    }
  });

  it('names the closest setting for a typo, and says the secrets hint only for what looks like a secret', async () => {
    const key = await newKey();
    const typo = keysFile([
      { ...keyEntry('k', key, { role: 'publisher', platforms: ['red5pro'], transports: 'any' }), room: ['a'] },
    ]);
    const result = await roomkey(['serve', '--check', '--config', typo], { RED5PRO_JWT_SECRET: SECRET });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('identity.service.keys[0].room: unknown setting "room" (did you mean "rooms"?)');
    expect(result.stderr).not.toMatch(/secrets come from/);
    const secret = keysFile([
      {
        ...keyEntry('k', key, { role: 'publisher', rooms: 'any', platforms: ['red5pro'], transports: 'any' }),
        jwtSecret: 'x',
      },
    ]);
    const withSecret = await roomkey(['serve', '--check', '--config', secret], { RED5PRO_JWT_SECRET: SECRET });
    expect(withSecret.stderr).toMatch(
      /identity\.service\.keys\[0\]\.jwtSecret: .*secrets come from environment variables/,
    );
  });

  it('refuses at start-up a key that can reach no room, channel or session on its platforms', async () => {
    const key = await newKey();
    const file = keysFile([keyEntry('calls', key, { role: 'publisher', rooms: 'any', platforms: ['vonage'] })]);
    const result = await roomkey(['serve', '--check', '--config', file], { RED5PRO_JWT_SECRET: SECRET, ...OPENTOK });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('identity.service.keys[0]');
    expect(result.stderr).toMatch(/sessions/);
    expect(result.stdout).not.toMatch(/configuration OK/);
  });

  it('logs "draining" before "stopped" at SIGTERM', async () => {
    const key = await newKey();
    const file = keysFile([
      keyEntry('k', key, { role: 'publisher', rooms: 'any', platforms: 'any', transports: 'any' }),
    ]);
    const service = await serve({ RED5PRO_JWT_SECRET: SECRET }, ['--config', file]);
    expect(await service.stop()).toBe(0);
    const events = service
      .lines()
      .map((line) => line.event)
      .filter((event) => event === 'roomkey.shutdown' || event === 'roomkey.stopped');
    expect(events, service.output()).toEqual(['roomkey.shutdown', 'roomkey.stopped']);
  });
});
