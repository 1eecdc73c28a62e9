import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { generateSecret } from '@roomkey/core';
import type { PubNubStandIn } from '@roomkey/pubnub-stand-in';
import { decodeJwt, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDP_AUDIENCE, type IdpStandIn, startIdpStandIn } from '../../../test/support/idp-stand-in.js';
import { startRedis } from './support/redis.js';
import { type Result, roomkey, type Serving, scratchFile, serve } from './support/run.js';
import { asKey, type Key, newKey, OPENTOK, post, red5CloudStandIn, SESSION } from './support/service.js';

const SECRET = generateSecret();
const JWT_LIKE = /eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/;

/** A configuration file with one key that may have publisher tokens for any room on any platform. */
function oneKeyConfig(key: Key): string {
  const entry = {
    name: 'k',
    sha256: key.sha256,
    role: 'publisher',
    users: 'any',
    rooms: 'any',
    platforms: 'any',
    transports: 'any',
  };
  return scratchFile('roomkey.json', JSON.stringify({ identity: { service: { keys: [entry] } } }));
}

/** `roomkey serve` refused to start (exit 2) and said each of these. */
function expectRefusal(result: Result, expected: readonly string[]): void {
  expect(result.code, result.stderr).toBe(2);
  for (const text of expected) expect(result.stderr).toContain(text);
}

const red5pro = (body: Record<string, unknown>) =>
  (body.tokens as Record<string, { token: string }>).red5pro?.token ?? '';

describe('roomkey serve with service keys', () => {
  let service: Serving;
  let billing: Key;
  let viewers: Key;
  let watch: Key;
  beforeAll(async () => {
    [billing, viewers, watch] = await Promise.all([newKey(), newKey(), newKey()]);
    const config = {
      identity: {
        service: {
          keys: [
            {
              name: 'billing',
              sha256: billing.sha256,
              users: 'any',
              role: 'publisher',
              rooms: ['class-*'],
              platforms: ['red5pro'],
              transports: 'any',
            },
            {
              name: 'viewers',
              sha256: viewers.sha256,
              users: 'any',
              role: 'subscriber',
              rooms: 'any',
              sessions: 'any',
              platforms: 'any',
              transports: ['WHIP', 'whep', 'WHEP'],
              ttlMinutes: 5,
            },
            // Transports in any case; the grant carries them in upper case.
            {
              name: 'watch',
              sha256: watch.sha256,
              users: 'any',
              role: 'subscriber',
              rooms: ['stage'],
              platforms: ['red5pro'],
              transports: ['whep'],
            },
          ],
        },
      },
    };
    service = await serve({ RED5PRO_JWT_SECRET: SECRET, ...OPENTOK }, [
      '--config',
      scratchFile('roomkey.json', JSON.stringify(config)),
    ]);
  });
  afterAll(() => service.stop());

  it('issues a token for the user the backend names, within its key caps, verified by jose', async () => {
    const res = await post(service, { room: 'class-7b', role: 'publisher' }, asKey(billing, 'auth0|alice'));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ identity: 'auth0|alice', role: 'publisher' });
    expect(Object.keys(res.body.tokens as object)).toEqual(['red5pro']);
    const { payload } = await jwtVerify(red5pro(res.body), Buffer.from(SECRET), { algorithms: ['HS256'] });
    expect(payload).toMatchObject({
      sub: 'auth0|alice',
      'red5-room': 'class-7b',
      roles: 'red5-publisher,red5-subscriber',
    });
    // transports "any", written out in the file: no red5-transport claim, which Red5 Pro reads as every one.
    expect(payload).not.toHaveProperty('red5-transport');
  });

  it("grants exactly the key's transports: WHEP only gives a WHEP token and refuses WHIP with 403", async () => {
    const res = await post(service, { room: 'stage' }, asKey(watch, 'gina'));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const { payload } = await jwtVerify(red5pro(res.body), Buffer.from(SECRET), { algorithms: ['HS256'] });
    expect(payload).toMatchObject({ sub: 'gina', 'red5-room': 'stage', 'red5-transport': 'WHEP' });
    const whip = await post(service, { room: 'stage', transports: ['WHIP'] }, asKey(watch, 'gina'));
    expect(whip.status).toBe(403);
    expect(whip.body).toMatchObject({ code: 'forbidden', detail: 'A requested transport is not granted to you.' });
    expect(whip.body).not.toHaveProperty('tokens');
    // A list of several, de-duplicated: the claim names each once.
    const viewer = await post(service, { room: 'stage' }, asKey(viewers, 'gina'));
    expect(decodeJwt(red5pro(viewer.body))['red5-transport']).toBe('WHIP,WHEP');
  });

  it('caps each key: no role above its own, no room outside its patterns, no platform it lacks, no longer lifetime', async () => {
    expect((await post(service, { room: 'class-1', role: 'moderator' }, asKey(billing))).status).toBe(403);
    expect((await post(service, { room: 'lobby' }, asKey(billing))).status).toBe(403);
    expect((await post(service, { room: 'class-1.secret' }, asKey(billing))).status).toBe(200);
    const session = await post(service, { session: SESSION }, asKey(billing));
    expect(session.status).toBe(400);
    expect(session.body.detail).toMatch(/no tokens for "session"/);
    // The other key may have Vonage (OpenTok) tokens, and lives at most 5 minutes.
    const vonage = await post(service, { session: SESSION, ttlMinutes: 60 }, asKey(viewers, 'bob'));
    expect(vonage.status, JSON.stringify(vonage.body)).toBe(200);
    const token = (vonage.body.tokens as Record<string, { token: string }>).vonage?.token ?? '';
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({ iss: '123456', role: 'subscriber', session_id: SESSION });
    expect((claims.exp as number) - Math.floor(Date.now() / 1000)).toBeLessThanOrEqual(300);
    expect((await post(service, { room: 'any-room', role: 'publisher' }, asKey(viewers))).status).toBe(403);
  });

  it('refuses an unknown key (401, RFC 6750), a missing user (400) and no credentials (401 challenge)', async () => {
    const stranger = await newKey();
    const unknown = await post(service, { room: 'class-1' }, asKey(stranger));
    expect(unknown.status).toBe(401);
    expect(unknown.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
    const anonymousUser = await post(service, { room: 'class-1' }, { authorization: `Bearer ${billing.key}` });
    expect(anonymousUser.status).toBe(400);
    expect(anonymousUser.body.detail).toMatch(/Roomkey-User header/);
    const lookAlike = await post(service, { room: 'class-1' }, { ...asKey(billing), 'roomkey-user': 'alice bob' });
    expect(lookAlike.status).toBe(400);
    const none = await post(service, { room: 'class-1' }, {});
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="roomkey"');
  });

  it('logs one JSON line per request with the key name and user, and never a key, token or secret', async () => {
    await post(service, { room: 'class-2' }, asKey(billing, 'carol'));
    const line = await service.waitFor((entry) => entry.event === 'roomkey.request' && entry.user === 'carol');
    expect(line).toMatchObject({
      route: '/tokens',
      status: 200,
      key: 'billing',
      role: 'publisher',
      tokens: ['red5pro'],
    });
    expect(service.lines().filter((entry) => entry.user === 'carol')).toHaveLength(1);
    const output = service.output();
    for (const secret of [billing.key, viewers.key, SECRET, OPENTOK.OPENTOK_API_SECRET])
      expect(output).not.toContain(secret);
    expect(output).not.toMatch(JWT_LIKE);
  });
});

describe('roomkey serve with OIDC access tokens', () => {
  let idp: IdpStandIn;
  let service: Serving;
  beforeAll(async () => {
    idp = await startIdpStandIn();
    const config = {
      identity: {
        oidc: {
          issuer: 'https://replaced-by-ROOMKEY_OIDC_ISSUER.example',
          audience: IDP_AUDIENCE,
          rolesClaim: ['realm_access', 'roles'],
          roleMap: { 'video-host': 'moderator', streamer: 'publisher', viewer: 'subscriber' },
          jwksCooldownSeconds: 0,
          algorithms: ['RS256', 'ES256'],
          rooms: ['stage', 'green-*'],
          platforms: ['red5pro'],
          transports: 'any',
        },
      },
    };
    service = await serve({ RED5PRO_JWT_SECRET: SECRET, ROOMKEY_OIDC_ISSUER: idp.issuer }, [
      '--config',
      scratchFile('roomkey.json', JSON.stringify(config)),
    ]);
  });
  afterAll(async () => {
    await service.stop();
    await idp.close();
  });

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const roles = (...names: string[]) => ({ realm_access: { roles: names } });

  it('maps the highest provider role through roleMap and caps rooms by pattern', async () => {
    const host = await post(
      service,
      { room: 'stage' },
      bearer(await idp.mint({ sub: 'h1', ...roles('viewer', 'video-host') })),
    );
    expect(host.status, JSON.stringify(host.body)).toBe(200);
    expect(host.body).toMatchObject({ identity: 'h1', role: 'moderator' });
    const viewer = await post(
      service,
      { room: 'green-room' },
      bearer(await idp.mint({ sub: 'v1', ...roles('viewer', 'other') })),
    );
    expect(viewer.body).toMatchObject({ identity: 'v1', role: 'subscriber' });
    expect((await post(service, { room: 'backstage' }, bearer(await idp.mint(roles('streamer'))))).status).toBe(403);
    const nobody = await post(service, { room: 'stage' }, bearer(await idp.mint(roles('accountant'))));
    expect(nobody.status).toBe(403);
    expect(nobody.body.detail).toMatch(/no video role/);
  });

  it('follows key rotation: a token of a newly published key is accepted after one more key-set fetch', async () => {
    expect((await post(service, { room: 'stage' }, bearer(await idp.mint(roles('viewer'))))).status).toBe(200);
    const fetched = idp.hits.jwks;
    const kid = await idp.rotate('ES256');
    const res = await post(
      service,
      { room: 'stage' },
      bearer(await idp.mint({ sub: 'rotated', ...roles('streamer') }, { kid })),
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ identity: 'rotated', role: 'publisher' });
    expect(idp.hits.jwks).toBe(fetched + 1);
  });

  it('refuses expired, confused and foreign tokens with 401 invalid_token', async () => {
    for (const token of [
      await idp.mint(roles('viewer'), { expiresIn: -10 }),
      await idp.confusedToken(roles('video-host')),
      idp.unsignedToken(roles('video-host')),
      await idp.mint(roles('viewer'), { audience: 'https://another-api.example' }),
    ]) {
      const res = await post(service, { room: 'stage' }, bearer(token));
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
    }
  });

  it('answers 502 when the identity provider is down, and issues nothing', async () => {
    const down = await startIdpStandIn();
    const token = await down.mint(roles('viewer'));
    await down.close();
    const other = await serve({
      RED5PRO_JWT_SECRET: SECRET,
      ROOMKEY_OIDC_ISSUER: down.issuer,
      ROOMKEY_OIDC_AUDIENCE: IDP_AUDIENCE,
      ROOMKEY_OIDC_ROOMS: 'any',
      ROOMKEY_OIDC_PLATFORMS: 'any',
      ROOMKEY_OIDC_TRANSPORTS: 'any',
    });
    try {
      const res = await post(other, { room: 'stage' }, bearer(token));
      expect(res.status).toBe(502);
      expect(res.body).toMatchObject({ code: 'upstream_error' });
      expect(res.body).not.toHaveProperty('tokens');
    } finally {
      await other.stop();
    }
  });

  it('requires the client and token type of ROOMKEY_OIDC_AUTHORIZED_PARTIES and _REQUIRED_TYPE, and refuses a subject no token can carry with 403 and one warning', async () => {
    const strict = await serve({
      RED5PRO_JWT_SECRET: SECRET,
      ROOMKEY_OIDC_ISSUER: idp.issuer,
      ROOMKEY_OIDC_AUDIENCE: IDP_AUDIENCE,
      ROOMKEY_OIDC_ROOMS: 'any',
      ROOMKEY_OIDC_PLATFORMS: 'red5pro',
      ROOMKEY_OIDC_TRANSPORTS: 'any',
      ROOMKEY_OIDC_AUTHORIZED_PARTIES: 'video-app, mobile-app',
      ROOMKEY_OIDC_REQUIRED_TYPE: 'at+jwt',
    });
    try {
      // The first (RSA) key: an earlier test rotated to an ES256 key, and RS256 is the default here.
      const ask = async (claims: Record<string, unknown>, typ?: string) =>
        post(
          strict,
          { room: 'stage' },
          bearer(
            await idp.mint({ roles: ['subscriber'], ...claims }, { kid: 'key-1', ...(typ !== undefined && { typ }) }),
          ),
        );
      expect((await ask({ azp: 'mobile-app' })).status).toBe(200);
      expect((await ask({ azp: 'other-app' })).status).toBe(401);
      expect((await ask({})).status).toBe(401);
      expect((await ask({ azp: 'video-app' }, 'JWT')).status).toBe(401);
      for (let attempt = 0; attempt < 3; attempt++) {
        const res = await ask({ azp: 'video-app', sub: 'jose\u0301' });
        expect(res.status).toBe(403);
        expect(res.body.detail).toMatch(/normalization form C/);
      }
      const warnings = strict.lines().filter((line) => line.event === 'roomkey.config_warning');
      expect(warnings).toHaveLength(1);
      expect(strict.lines().filter((line) => line.level === 50)).toEqual([]);
    } finally {
      await strict.stop();
    }
  });

  it('runs from the environment alone: ROOMKEY_OIDC_PLATFORMS and ROOMKEY_OIDC_TRANSPORTS cap every signed-in user', async () => {
    const env = {
      RED5PRO_JWT_SECRET: SECRET,
      ...OPENTOK,
      ROOMKEY_OIDC_ISSUER: idp.issuer,
      ROOMKEY_OIDC_AUDIENCE: IDP_AUDIENCE,
      ROOMKEY_OIDC_ROOMS: 'stage',
      ROOMKEY_OIDC_SESSIONS: 'any',
      ROOMKEY_OIDC_PLATFORMS: 'red5pro',
      ROOMKEY_OIDC_TRANSPORTS: 'whep',
    };
    const envOnly = await serve(env);
    try {
      // The environment leaves algorithms at their default, RS256 (an earlier test rotated to ES256).
      const kid = await idp.rotate('RS256');
      const viewer = bearer(await idp.mint({ sub: 'eve', roles: ['subscriber'] }, { kid }));
      const res = await post(envOnly, { room: 'stage' }, viewer);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(Object.keys(res.body.tokens as object)).toEqual(['red5pro']);
      const { payload } = await jwtVerify(red5pro(res.body), Buffer.from(SECRET), { algorithms: ['HS256'] });
      expect(payload).toMatchObject({ sub: 'eve', 'red5-room': 'stage', 'red5-transport': 'WHEP' });
      expect((await post(envOnly, { room: 'stage', transports: ['WHIP'] }, viewer)).status).toBe(403);
      // Vonage is configured and sessions are "any", but the platforms leave it out.
      const session = await post(envOnly, { session: SESSION }, viewer);
      expect(session.status).toBe(400);
      expect(session.body.detail).toMatch(/no tokens for "session"/);
    } finally {
      await envOnly.stop();
    }
    // Each variable is required or checked at start-up, named in the message.
    const { ROOMKEY_OIDC_PLATFORMS: _platforms, ...noPlatforms } = env;
    expectRefusal(await roomkey(['serve', '--check'], noPlatforms), [
      'identity.oidc.platforms (or ROOMKEY_OIDC_PLATFORMS): is required: "any", or',
    ]);
    const { ROOMKEY_OIDC_TRANSPORTS: _transports, ...noTransports } = env;
    expectRefusal(await roomkey(['serve', '--check'], noTransports), [
      'identity.oidc.transports (or ROOMKEY_OIDC_TRANSPORTS): platforms include red5pro, so say which Red5 Pro transports',
    ]);
    const wrong = await roomkey(['serve', '--check'], {
      ...env,
      ROOMKEY_OIDC_PLATFORMS: 'red5pro,zoom',
      ROOMKEY_OIDC_TRANSPORTS: 'WHEP,',
      ROOMKEY_OIDC_CHANNELS: 'chat lobby',
    });
    expectRefusal(wrong, [
      'ROOMKEY_OIDC_PLATFORMS (identity.oidc.platforms): platforms must be "any" or a non-empty array',
      'ROOMKEY_OIDC_TRANSPORTS (identity.oidc.transports): transports must be "any" or a non-empty array',
      'ROOMKEY_OIDC_CHANNELS (identity.oidc.channels[0]): each of channels must be a name or a pattern',
    ]);
    // Sessions alone are something to enter; platforms without red5pro need no transports.
    const vonageOnly = await roomkey(['serve', '--check'], {
      ...noTransports,
      ROOMKEY_OIDC_ROOMS: '',
      ROOMKEY_OIDC_PLATFORMS: 'vonage',
    });
    expect(vonageOnly.stderr).toBe('');
    expect(vonageOnly.code).toBe(0);
    expectRefusal(await roomkey(['serve', '--check'], { ...env, ROOMKEY_OIDC_PLATFORMS: 'red5pro,chat' }), [
      'identity.oidc.platforms: chat is not configured',
    ]);
  });
});

describe('roomkey serve as an operated service', () => {
  it('reports every configuration mistake with its path or variable, and exits 2 without listening', async () => {
    const config = {
      listen: { port: 'eighty' },
      identity: {
        oidc: { issuer: 'https://idp.example/', audience: 'api', rooms: 'any', transports: 'any' },
        service: {
          keys: [
            { name: 'x', sha256: 'abc', role: 'admin', rooms: ['a,b'], platforms: ['zoom'], secret: 's' },
            { name: 'y', sha256: 'f'.repeat(64), role: 'publisher', rooms: 'any' },
            { name: 'z', sha256: 'e'.repeat(64), role: 'publisher', platforms: [], transports: [] },
          ],
        },
      },
      metrics: { enabled: 'yes' },
    };
    const result = await roomkey(['serve', '--config', scratchFile('bad.json', JSON.stringify(config))], {
      RATE_LIMIT_TOKENS: 'many',
      RED5PRO_JWT_SECRET: 'too-short',
    });
    expectRefusal(result, [
      'listen.port: port must be a port number',
      'identity.service.keys[0].sha256: sha256 must be 64 lower-case hex digits',
      'identity.service.keys[0].role: must be one of',
      'identity.service.keys[0].rooms',
      'identity.service.keys[0].platforms: platforms must be "any" or a non-empty array of red5pro',
      'identity.service.keys[0].secret: unknown setting "secret" (secrets come from environment variables',
      'identity.service.keys[1].platforms: is required: "any", or the tokens this caller may have',
      'identity.oidc.platforms (or ROOMKEY_OIDC_PLATFORMS): is required',
      'identity.service.keys[2].platforms: platforms must be "any" or a non-empty array',
      'identity.service.keys[2].transports: transports must not be empty: list RTMP, RTSP, WHIP or WHEP, or write "any"',
      'metrics.enabled: enabled must be true or false',
      'RATE_LIMIT_TOKENS (rateLimit.tokens): must be points/seconds',
      'RED5PRO_JWT_SECRET: secret',
    ]);
    expect(result.stderr).not.toContain('too-short');
    expect(result.stderr).not.toMatch(/platforms: unknown setting/);
    expect(result.stdout).toBe('');
  });

  it('refuses at start-up a caller that can reach Red5 Pro without transports, and says to list them or write "any"', async () => {
    const keys = [
      {
        name: 'streams',
        sha256: 'a'.repeat(64),
        role: 'publisher',
        users: 'any',
        rooms: 'any',
        platforms: ['red5pro'],
      },
      { name: 'everything', sha256: 'b'.repeat(64), role: 'publisher', users: 'any', rooms: 'any', platforms: 'any' },
      {
        name: 'calls',
        sha256: 'c'.repeat(64),
        role: 'publisher',
        users: 'any',
        sessions: 'any',
        platforms: ['vonage'],
      },
    ];
    const file = scratchFile('roomkey.json', JSON.stringify({ identity: { service: { keys } } }));
    const result = await roomkey(['serve', '--check', '--config', file], { RED5PRO_JWT_SECRET: SECRET, ...OPENTOK });
    expectRefusal(result, [
      'identity.service.keys[0].transports: platforms include red5pro, so say which Red5 Pro transports this key ' +
        'may use: a list of RTMP, RTSP, WHIP, WHEP, or "any" for all of them',
      'identity.service.keys[1].transports: platforms is "any" and Red5 Pro is configured (RED5PRO_JWT_SECRET)',
    ]);
    expect(result.stderr).not.toContain('keys[2]');
    // "any" platforms without Red5 Pro configured cannot reach it: no transports needed.
    const withoutRed5Pro = await roomkey(['serve', '--check', '--config', file], OPENTOK);
    expect(withoutRed5Pro.stderr).toContain('identity.service.keys[0].platforms: red5pro is not configured');
    expect(withoutRed5Pro.stderr).not.toContain('transports');
  });

  it("accepts the README's configuration file and the help's environment-only example as they are written", async () => {
    const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
    const file = /### The configuration file[\s\S]*?```json\n([\s\S]*?)\n```/.exec(readme)?.[1] ?? '';
    const fromReadme = await roomkey(['serve', '--check', '--config', scratchFile('roomkey.json', file)], {
      RED5PRO_JWT_SECRET: SECRET,
    });
    expect(fromReadme.stderr).toBe('');
    expect(fromReadme.stdout).toMatch(/^configuration OK: tokens red5pro; identity oidc and service; 2 service key/);
    const help = (await roomkey(['serve', '--help'])).stdout;
    const variables = Object.fromEntries(
      [...(/\$ (.*) roomkey serve$/m.exec(help)?.[1] ?? '').matchAll(/(\w+)=(\S+)/g)].map(([, name, value]) => [
        name as string,
        name === 'RED5PRO_JWT_SECRET' ? SECRET : (value as string),
      ]),
    );
    expect(Object.keys(variables)).toContain('ROOMKEY_OIDC_TRANSPORTS');
    const fromHelp = await roomkey(['serve', '--check'], variables);
    expect(fromHelp.stderr).toBe('');
    expect(fromHelp.code).toBe(0);
  });

  it('reads a configuration file saved with a byte order mark (as some editors write JSON) like any other', async () => {
    const keys = [
      {
        name: 'kiosk',
        sha256: 'a'.repeat(64),
        role: 'subscriber',
        users: ['kiosk-*'],
        rooms: ['lobby'],
        platforms: ['red5pro'],
        transports: ['WHEP'],
      },
    ];
    const text = JSON.stringify({ identity: { service: { keys } } });
    const withBom = await roomkey(['serve', '--check', '--config', scratchFile('roomkey.json', `\uFEFF${text}`)], {
      RED5PRO_JWT_SECRET: SECRET,
    });
    expect(withBom.stderr).toBe('');
    expect(withBom.stdout).toMatch(/^configuration OK/);
  });

  it('serves health, readiness, and Prometheus metrics on their own listener when asked', async () => {
    const key = await newKey();
    const config = oneKeyConfig(key);
    const checked = await roomkey(['serve', '--check', '--config', config], { RED5PRO_JWT_SECRET: SECRET });
    expect(checked.stdout).toMatch(/^configuration OK: tokens red5pro; identity service; 1 service key/);
    expect(checked.code).toBe(0);
    const separate = await serve({ RED5PRO_JWT_SECRET: SECRET, ROOMKEY_METRICS_PORT: '0' }, ['--config', config]);
    const off = await serve({ RED5PRO_JWT_SECRET: SECRET, ROOMKEY_METRICS_PORT: 'off' }, ['--config', config]);
    try {
      expect(await (await fetch(`${separate.url}/healthz`)).json()).toEqual({ status: 'ok' });
      expect(await (await fetch(`${separate.url}/readyz`)).json()).toEqual({ status: 'ready' });
      await post(separate, { room: 'r1', role: 'publisher' }, asKey(key));
      await post(separate, { room: 'r1', role: 'moderator' }, asKey(key));
      expect(separate.metrics).not.toContain(separate.url);
      expect(new URL(separate.metrics).hostname).toBe('127.0.0.1');
      const text = await (await fetch(separate.metrics)).text();
      expect(text).toMatch(/^roomkey_tokens_issued_total\{platform="red5pro",role="publisher"\} 1$/m);
      expect(text).toMatch(/^roomkey_token_requests_refused_total\{code="forbidden"\} 1$/m);
      expect(text).toMatch(
        /^roomkey_request_duration_seconds_bucket\{le="0.005",route="\/tokens",status="200"\} \d+$/m,
      );
      expect(text).toMatch(/^roomkey_request_duration_seconds_count\{route="\/tokens",status="403"\} 1$/m);
      expect(text).not.toMatch(/alice|r1/);
      expect((await fetch(`${separate.url}/metrics`)).status).toBe(404);
      expect(off.metrics).toBe('off');
      expect((await fetch(`${off.url}/metrics`)).status).toBe(404);
    } finally {
      await Promise.all([separate.stop(), off.stop()]);
    }
  });

  it('finishes a request in flight on SIGTERM, refuses new connections, and exits 0', async () => {
    const key = await newKey();
    const config = oneKeyConfig(key);
    const service = await serve({ RED5PRO_JWT_SECRET: SECRET }, ['--config', config]);
    const { port, hostname } = new URL(service.url);
    const body = JSON.stringify({ room: 'late-room' });
    const socket = connect(Number(port), hostname);
    await once(socket, 'connect');
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk;
    });
    socket.write(
      `POST /tokens HTTP/1.1\r\nHost: ${hostname}\r\nAuthorization: Bearer ${key.key}\r\nRoomkey-User: dora\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 5)}`,
    );
    // The request is in flight (its body half sent) when the signal arrives.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const exited = once(service.child, 'exit');
    service.child.kill('SIGTERM');
    await service.waitFor((line) => line.event === 'roomkey.shutdown');
    const refused = await new Promise<string>((resolve) => {
      const probe = connect(Number(port), hostname, () => resolve('connected'));
      probe.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    });
    expect(refused).toBe('ECONNREFUSED');
    const closed = once(socket, 'close');
    socket.end(body.slice(5));
    const [code] = (await exited) as [number | null];
    await closed;
    expect(answer).toMatch(/^HTTP\/1.1 200 OK/);
    expect(answer).toMatch(/"identity":"dora"/);
    expect(code).toBe(0);
  });

  it('shares rate limits between instances through Redis, and says not ready while Redis is away', async () => {
    const redis = await startRedis();
    const key = await newKey();
    const config = oneKeyConfig(key);
    const env = { RED5PRO_JWT_SECRET: SECRET, ROOMKEY_REDIS_URL: redis.url, RATE_LIMIT_TOKENS: '3/60' };
    const [a, b] = await Promise.all([serve(env, ['--config', config]), serve(env, ['--config', config])]);
    try {
      await a.waitFor(() => true);
      for (const service of [a, b]) {
        for (let attempt = 0; attempt < 50 && (await fetch(`${service.url}/readyz`)).status !== 200; attempt++) {
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
      const statuses = [];
      for (const service of [a, b, a, b])
        statuses.push((await post(service, { room: 'r' }, asKey(key, 'erin'))).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
      await redis.stop();
      const started = Date.now();
      const during = await post(a, { room: 'r' }, asKey(key, 'frank'));
      expect(Date.now() - started).toBeLessThan(3000);
      // Fail closed, fast: 503 with Retry-After, never a token issued without its limit checked.
      expect(during.status).toBe(503);
      expect(during.body).toMatchObject({ code: 'service_unavailable' });
      expect(Number(during.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(during.body).not.toHaveProperty('tokens');
      const ready = await fetch(`${a.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ status: 'not ready' });
      expect(`${a.output()}${b.output()}`).not.toContain(redis.url);
    } finally {
      await Promise.all([a.stop(), b.stop(), redis.stop()]);
    }
  });
});

describe('roomkey serve with Red5 Cloud', () => {
  let standIn: PubNubStandIn;
  let service: Serving;
  let conferenceOnly: Key;
  let red5proOnly: Key;
  beforeAll(async () => {
    let cloud: Record<string, string>;
    ({ standIn, env: cloud } = await red5CloudStandIn());
    [conferenceOnly, red5proOnly] = await Promise.all([newKey(), newKey()]);
    const keys = [
      {
        name: 'meetings',
        sha256: conferenceOnly.sha256,
        users: 'any',
        role: 'publisher',
        rooms: 'any',
        channels: ['chat-*'],
        platforms: ['conference', 'chat'],
      },
      {
        name: 'streams',
        sha256: red5proOnly.sha256,
        users: 'any',
        role: 'publisher',
        rooms: 'any',
        platforms: ['red5pro'],
        transports: 'any',
      },
    ];
    service = await serve(
      {
        RED5PRO_JWT_SECRET: SECRET,
        ...cloud,
      },
      ['--config', scratchFile('roomkey.json', JSON.stringify({ identity: { service: { keys } } }))],
    );
  });
  afterAll(async () => {
    await service.stop();
    await standIn.close();
  });

  it('gives each key only the tokens of its platforms for the same room', async () => {
    const meeting = await post(service, { room: 'room-abc' }, asKey(conferenceOnly, 'ann'));
    expect(meeting.status, JSON.stringify(meeting.body)).toBe(200);
    expect(Object.keys(meeting.body.tokens as object)).toEqual(['conference']);
    expect(decodeJwt((meeting.body.tokens as Record<string, { token: string }>).conference?.token ?? '')).toMatchObject(
      {
        uid: 'ann',
        roomId: 'room-abc',
        role: 'publisher',
      },
    );
    const stream = await post(service, { room: 'room-abc' }, asKey(red5proOnly, 'ann'));
    expect(Object.keys(stream.body.tokens as object)).toEqual(['red5pro']);
  });

  it("serves the Red5 WebRTC SDK's chat-token route to a key that may have chat tokens only", async () => {
    const chat = await post(
      service,
      { userId: 'ann', channelId: 'chat-lobby' },
      asKey(conferenceOnly, 'ann'),
      '/chat-token',
    );
    expect(chat.status, JSON.stringify(chat.body)).toBe(200);
    expect(typeof chat.body.token).toBe('string');
    expect(
      (await post(service, { userId: 'ann', channelId: 'general' }, asKey(conferenceOnly, 'ann'), '/chat-token'))
        .status,
    ).toBe(403);
    const refused = await post(
      service,
      { userId: 'ann', channelId: 'chat-lobby' },
      asKey(red5proOnly, 'ann'),
      '/chat-token',
    );
    expect(refused.status).toBe(403);
    expect(refused.body.detail).toMatch(/may not have chat tokens/);
  });
});
