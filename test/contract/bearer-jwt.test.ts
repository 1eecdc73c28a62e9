import { randomUUID } from 'node:crypto';
import {
  type BearerJwtIdentity,
  type BearerJwtIdentityOptions,
  bearerJwtIdentity,
  type Grant,
  type Identity,
} from '@roomkey/core';
import { decodeJwt } from 'jose';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IDP_AUDIENCE, type IdpStandIn, startIdpStandIn } from '../support/idp-stand-in.js';
import { type ContractOptions, createApp, VARIANTS, type Variant } from './apps.js';
import { frozenClock } from './support/clock.js';
import { expectProblem, expectTokenResponse } from './support/http.js';
import { captureLogger } from './support/logger.js';
import { SECRET } from './support/tokens.js';

const ROOM = 'room-oidc';
const signerClock = frozenClock();

/** The app's mapping from the provider's `roles` claim to a grant: what README shows. */
function authorize({ identity }: { identity: Identity }): Grant {
  const { claims } = identity as BearerJwtIdentity;
  const roles = Array.isArray(claims.roles) ? claims.roles : [];
  return { role: roles.includes('host') ? 'publisher' : 'subscriber', rooms: [ROOM], transports: ['WHIP', 'WHEP'] };
}

function appWith(variant: Variant, identity: BearerJwtIdentityOptions, extra: Partial<ContractOptions> = {}) {
  const options: ContractOptions = {
    identify: bearerJwtIdentity(identity),
    authorize,
    red5pro: { secret: SECRET, clock: signerClock },
    ...extra,
  };
  return request(createApp(variant, options).target);
}

const post = (agent: ReturnType<typeof request>, token: string | undefined, body: object = { room: ROOM }) => {
  const test = agent.post('/tokens').set('content-type', 'application/json');
  if (token !== undefined) test.set('authorization', `Bearer ${token}`);
  return test.send(JSON.stringify(body));
};

/** The RFC 6750 challenge of a refused token, with its description. */
function expectInvalidToken(res: request.Response, description: RegExp): void {
  expectProblem(res, 401, 'unauthenticated');
  const challenge = res.headers['www-authenticate'] as string;
  expect(challenge).toMatch(/^Bearer realm="roomkey", error="invalid_token", error_description="[^"\\]+"$/);
  expect(challenge).toMatch(description);
}

describe.each(VARIANTS)('bearerJwtIdentity through $name', (variant) => {
  // A provider per test: rotation and failures in one test must not leak into the next.
  let idp: IdpStandIn;
  beforeEach(async () => {
    idp = await startIdpStandIn();
  });
  afterEach(() => idp.close());
  /** Options naming the key set's URL (no discovery). */
  const direct = (extra: Partial<BearerJwtIdentityOptions> = {}): BearerJwtIdentityOptions => ({
    issuer: idp.issuer,
    audience: IDP_AUDIENCE,
    jwksUrl: idp.jwksUrl,
    ...extra,
  });

  it("accepts the provider's token: the subject is the identity and authorize maps its roles claim", async () => {
    const agent = appWith(variant, { issuer: idp.issuer, audience: IDP_AUDIENCE, jwksUrl: idp.jwksUrl });
    const host = expectTokenResponse(await post(agent, await idp.mint({ sub: 'host-7', roles: ['host'] })));
    expect(host).toMatchObject({ identity: 'host-7', role: 'publisher' });
    expect(decodeJwt(host.tokens.red5pro.token)).toMatchObject({ sub: 'host-7', 'red5-room': ROOM });
    const viewer = expectTokenResponse(await post(agent, await idp.mint({ sub: 'viewer-8' })));
    expect(viewer).toMatchObject({ identity: 'viewer-8', role: 'subscriber' });
    // The grant caps the request: a viewer asking to publish is refused, not narrowed.
    expectProblem(
      await post(agent, await idp.mint({ sub: 'viewer-8' }), { room: ROOM, role: 'publisher' }),
      403,
      'forbidden',
    );
  });

  it('finds the keys through OpenID Connect discovery when jwksUrl is not given', async () => {
    const before = idp.hits.discovery;
    const agent = appWith(variant, { issuer: idp.issuer, audience: IDP_AUDIENCE });
    expectTokenResponse(await post(agent, await idp.mint()));
    expectTokenResponse(await post(agent, await idp.mint()));
    expect(idp.hits.discovery).toBe(before + 1);
  });

  it('answers a request without a token with a challenge that has no error code (RFC 6750 §3.1)', async () => {
    const agent = appWith(variant, { issuer: idp.issuer, audience: IDP_AUDIENCE, jwksUrl: idp.jwksUrl });
    const res = await post(agent, undefined);
    expectProblem(res, 401, 'unauthenticated');
    expect(res.headers['www-authenticate']).toBe('Bearer realm="roomkey"');
    const basic = await agent
      .post('/tokens')
      .set('content-type', 'application/json')
      .set('authorization', 'Basic dTpw')
      .send(JSON.stringify({ room: ROOM }));
    expect(basic.headers['www-authenticate']).toBe('Bearer realm="roomkey"');
  });

  it('refuses algorithm confusion: HS256 keyed with the public key, and alg none', async () => {
    const agent = appWith(variant, { issuer: idp.issuer, audience: IDP_AUDIENCE, jwksUrl: idp.jwksUrl });
    expectInvalidToken(await post(agent, await idp.confusedToken({ roles: ['host'] })), /algorithm is not accepted/);
    expectInvalidToken(await post(agent, idp.unsignedToken({ roles: ['host'] })), /algorithm is not accepted/);
  });

  it('refuses another issuer, another audience, an expired token, a forged signature and garbage', async () => {
    const agent = appWith(variant, { issuer: idp.issuer, audience: IDP_AUDIENCE, jwksUrl: idp.jwksUrl });
    expectInvalidToken(await post(agent, await idp.mint({}, { issuer: 'https://evil.example' })), /another issuer/);
    expectInvalidToken(await post(agent, await idp.mint({}, { audience: 'https://other-api.example' })), /audience/);
    expectInvalidToken(await post(agent, await idp.mint({}, { expiresIn: -5 })), /expired/);
    const valid = await idp.mint({ sub: 'user-1' });
    const [header, , signature] = valid.split('.');
    const forgedPayload = Buffer.from(JSON.stringify({ ...decodeJwt(valid), sub: 'admin' })).toString('base64url');
    expectInvalidToken(await post(agent, `${header}.${forgedPayload}.${signature}`), /signature is invalid/);
    expectInvalidToken(await post(agent, 'not-a-jwt'), /well-formed/);
    const spaced = await agent
      .post('/tokens')
      .set('content-type', 'application/json')
      .set('authorization', 'Bearer a b')
      .send(JSON.stringify({ room: ROOM }));
    expectInvalidToken(spaced, /single Bearer token/);
  });

  it('accepts a key published after rotation; a token naming the old kid but signed by another key is refused', async () => {
    const agent = appWith(variant, {
      issuer: idp.issuer,
      audience: IDP_AUDIENCE,
      jwksUrl: idp.jwksUrl,
      jwksCooldownSeconds: 0,
      algorithms: ['RS256', 'ES256'],
    });
    const old = idp.currentKid;
    expectTokenResponse(await post(agent, await idp.mint()));
    const fetched = idp.hits.jwks;
    const rotated = await idp.rotate('ES256');
    // The cached key set lacks the new kid: fetched again once, then accepted.
    expectTokenResponse(await post(agent, await idp.mint({ sub: 'after-rotation' }, { kid: rotated })));
    expect(idp.hits.jwks).toBe(fetched + 1);
    expectTokenResponse(await post(agent, await idp.mint({ sub: 'before-rotation' }, { kid: old })));
    const impostor = await idp.unpublishedKey();
    expectInvalidToken(await post(agent, await impostor.sign({}, old)), /signature is invalid/);
    expectInvalidToken(await post(agent, await impostor.sign({}, 'key-99')), /does not publish/);
  });

  it('fetches the keys at most once per cooldown however many unknown key ids arrive', async () => {
    const agent = appWith(variant, { issuer: idp.issuer, audience: IDP_AUDIENCE, jwksUrl: idp.jwksUrl });
    expectTokenResponse(await post(agent, await idp.mint()));
    const fetched = idp.hits.jwks;
    const stranger = await idp.unpublishedKey();
    for (let attempt = 0; attempt < 10; attempt++) {
      expectInvalidToken(await post(agent, await stranger.sign({}, randomUUID())), /does not publish/);
    }
    expect(idp.hits.jwks).toBe(fetched);
  });

  it('answers 502 and issues nothing while the provider fails, and logs why', async () => {
    const captured = captureLogger();
    const agent = appWith(
      variant,
      { issuer: idp.issuer, audience: IDP_AUDIENCE, jwksUrl: idp.jwksUrl },
      { logger: captured.logger },
    );
    const token = await idp.mint({ roles: ['host'] });
    idp.failWith(503);
    try {
      const res = await post(agent, token);
      expectProblem(res, 502, 'upstream_error');
      expect(res.headers['www-authenticate']).toBeUndefined();
    } finally {
      idp.failWith(undefined);
    }
    expect(captured.text()).toMatch(/identity provider: fetching the signing keys failed/);
    expect(captured.text()).not.toContain(token);
    // Discovery that names another issuer is refused as well.
    idp.lieAboutIssuer('https://evil.example');
    try {
      expectProblem(
        await post(appWith(variant, { issuer: idp.issuer, audience: IDP_AUDIENCE }), token),
        502,
        'upstream_error',
      );
    } finally {
      idp.lieAboutIssuer(undefined);
    }
  });

  describe('against a failing identity provider', () => {
    const asked = () => idp.hits.discovery + idp.hits.jwks;

    it('refuses what is not a JWT, or names an algorithm or key id no provider uses, without asking the provider', async () => {
      idp.failWith(500);
      const agent = appWith(variant, { issuer: idp.issuer, audience: IDP_AUDIENCE });
      const header = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
      const payload = header({ sub: 'user-1' });
      const garbage = [
        'garbage.not.ajwt',
        'not-a-jwt',
        'a.b.c.d',
        `${header({ alg: 'RS256' })}..sig`,
        `${header({ alg: 'RS256' })}.bm90IGpzb24.sig`,
        `${header({ alg: 'HS256' })}.${payload}.sig`,
        `${header({ alg: 'RS256', kid: 'k'.repeat(1000) })}.${payload}.sig`,
      ];
      for (let round = 0; round < 5; round++) {
        for (const token of garbage) expectInvalidToken(await post(agent, token), /well-formed|algorithm|key id/);
      }
      expect(asked()).toBe(0);
    });

    it('lets rateLimit.failures stop a flood of garbage tokens while the provider fails', async () => {
      idp.failWith(500);
      const agent = appWith(
        variant,
        { issuer: idp.issuer, audience: IDP_AUDIENCE },
        { rateLimit: { failures: { points: 3, duration: 60 } } },
      );
      const statuses: number[] = [];
      for (let attempt = 0; attempt < 6; attempt++) statuses.push((await post(agent, 'garbage.not.ajwt')).status);
      expect(statuses).toEqual([401, 401, 401, 429, 429, 429]);
      expect(asked()).toBe(0);
    });

    it('asks a failing provider once per cooldown, answering 502 with Retry-After meanwhile', async () => {
      const clock = frozenClock();
      const agent = appWith(variant, { issuer: idp.issuer, audience: IDP_AUDIENCE, clock });
      const token = await idp.mint({ roles: ['host'] }, { now: clock.now() });
      idp.failWith(500);
      for (let attempt = 0; attempt < 20; attempt++) {
        const res = await post(agent, token);
        expectProblem(res, 502, 'upstream_error');
        expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
        expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(30);
      }
      expect(idp.hits.discovery).toBe(1);
      clock.advance(10_000);
      expect((await post(agent, token)).headers['retry-after']).toBe('20');
      expect(idp.hits.discovery).toBe(1);
      // Once the cooldown is over the provider is asked again, and its recovery is seen.
      idp.failWith(undefined);
      clock.advance(20_000);
      expectTokenResponse(await post(agent, token));
      expect(idp.hits).toEqual({ discovery: 2, jwks: 1 });
    });

    it('shares one fetch among the requests that arrive while it is in flight', async () => {
      const agent = appWith(variant, { issuer: idp.issuer, audience: IDP_AUDIENCE });
      const token = await idp.mint();
      const release = idp.hold();
      const answers = Array.from({ length: 8 }, () => post(agent, token).then((res) => res));
      // The provider holds its answer to the first fetch; the other requests wait for that one.
      while (idp.hits.discovery === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      release();
      for (const res of await Promise.all(answers)) expectTokenResponse(res);
      expect(idp.hits).toEqual({ discovery: 1, jwks: 1 });
    });

    it('keeps using the keys in hand while refreshing them fails, for at most jwksStaleIfErrorSeconds', async () => {
      const clock = frozenClock();
      const agent = appWith(variant, direct({ jwksCacheMaxAgeSeconds: 600, jwksStaleIfErrorSeconds: 3600, clock }));
      const mint = () => idp.mint({}, { now: clock.now() });
      expectTokenResponse(await post(agent, await mint()));
      expect(idp.hits.jwks).toBe(1);
      clock.advance(700_000);
      idp.failWith(503);
      // Past its age the key set is fetched again; that fails, and the keys in hand still answer.
      expectTokenResponse(await post(agent, await mint()));
      expectTokenResponse(await post(agent, await mint()));
      expect(idp.hits.jwks).toBe(2);
      clock.advance(60_000);
      expectTokenResponse(await post(agent, await mint()));
      expect(idp.hits.jwks).toBe(3);
      // 600 + 3600 seconds after the last successful fetch, the keys are no longer trusted.
      clock.advance(4200_000 - 760_000);
      expectProblem(await post(agent, await mint()), 502, 'upstream_error');
      expect(idp.hits.jwks).toBe(4);
      idp.failWith(undefined);
      clock.advance(30_000);
      expectTokenResponse(await post(agent, await mint()));
      expect(idp.hits.jwks).toBe(5);
    });

    it('answers 502 when a key set whose kid is unknown cannot be fetched again, not 401', async () => {
      const clock = frozenClock();
      const agent = appWith(variant, direct({ algorithms: ['RS256', 'ES256'], clock }));
      expectTokenResponse(await post(agent, await idp.mint({}, { now: clock.now() })));
      const rotated = await idp.rotate('ES256');
      idp.failWith(503);
      clock.advance(31_000);
      const newKey = await idp.mint({}, { kid: rotated, now: clock.now() });
      expectProblem(await post(agent, newKey), 502, 'upstream_error');
      expectProblem(await post(agent, newKey), 502, 'upstream_error');
      expect(idp.hits.jwks).toBe(2);
      // The keys in hand still verify tokens of the old key meanwhile.
      expectTokenResponse(await post(agent, await idp.mint({}, { kid: 'key-1', now: clock.now() })));
    });

    it.each([
      ['a discovery document', false, false],
      ['a key set', true, false],
      ['a key set that declares its length', true, true],
    ])('refuses %s over 256 KiB with 502 and stops reading it', async (_name, direct, withLength) => {
      const agent = appWith(variant, {
        issuer: idp.issuer,
        audience: IDP_AUDIENCE,
        ...(direct && { jwksUrl: idp.jwksUrl }),
      });
      idp.answerHuge(64 * 1024 * 1024, withLength);
      expectProblem(await post(agent, await idp.mint()), 502, 'upstream_error');
      expect(idp.hugeBytesWritten).toBeLessThan(16 * 1024 * 1024);
    });

    it('answers 502 when the provider does not answer within timeoutMs', async () => {
      const agent = appWith(variant, { issuer: idp.issuer, audience: IDP_AUDIENCE, timeoutMs: 50 });
      const release = idp.hold();
      try {
        expectProblem(await post(agent, await idp.mint()), 502, 'upstream_error');
      } finally {
        release();
      }
    });
  });

  describe('client, type and subject checks', () => {
    it('accepts only the authorized parties named (azp, and client_id when present)', async () => {
      const agent = appWith(variant, direct({ authorizedParties: ['video-app', 'mobile-app'] }));
      expectTokenResponse(await post(agent, await idp.mint({ azp: 'video-app' })));
      expectTokenResponse(await post(agent, await idp.mint({ client_id: 'mobile-app' })));
      expectTokenResponse(await post(agent, await idp.mint({ azp: 'video-app', client_id: 'video-app' })));
      expectInvalidToken(await post(agent, await idp.mint({ azp: 'other-app' })), /another client/);
      expectInvalidToken(
        await post(agent, await idp.mint({ azp: 'video-app', client_id: 'other-app' })),
        /another client/,
      );
      expectInvalidToken(await post(agent, await idp.mint({ azp: ['video-app'] })), /another client/);
      expectInvalidToken(await post(agent, await idp.mint()), /names no client/);
    });

    it('requires the token type asked for (RFC 9068 at+jwt)', async () => {
      const agent = appWith(variant, direct({ requiredType: 'at+jwt' }));
      expectTokenResponse(await post(agent, await idp.mint()));
      expectTokenResponse(await post(agent, await idp.mint({}, { typ: 'application/at+jwt' })));
      expectInvalidToken(await post(agent, await idp.mint({}, { typ: 'JWT' })), /required type/);
    });

    it.each([
      ['over 256 characters', 'u'.repeat(257), 'v'.repeat(300), /longer than 256 characters/],
      ['not in NFC', 'jose\u0301', 'Zoe\u0308', /normalization form C/],
      ['with a space at its end', 'alice ', ' bob', /starts or ends with a space/],
      ['with a control character', 'ali\u0007ce', 'bo\nb', /control character/],
    ])('refuses a signed subject %s with 403 that names the rule, and warns once', async (_name, sub, other, rule) => {
      const warnings = captureLogger();
      const errors = captureLogger();
      const agent = appWith(variant, direct({ logger: warnings.logger }), { logger: errors.logger });
      for (let attempt = 0; attempt < 3; attempt++) {
        const res = await post(agent, await idp.mint({ sub }));
        expectProblem(res, 403, 'forbidden');
        expect(res.body.detail).toMatch(rule);
        expect(res.body.detail).not.toContain(sub);
      }
      expect(warnings.levels()).toEqual(['warn']);
      expect(warnings.text()).toMatch(rule);
      expect(warnings.text()).not.toContain(JSON.stringify(sub).slice(1, -1));
      expect(errors.levels()).not.toContain('error');
      // Another distinct subject is reported once too.
      expectProblem(await post(agent, await idp.mint({ sub: other })), 403, 'forbidden');
      expect(warnings.levels()).toEqual(['warn', 'warn']);
    });

    it('takes the identity from subjectClaim, under the same rules', async () => {
      const agent = appWith(variant, direct({ subjectClaim: 'preferred_username' }));
      expect(expectTokenResponse(await post(agent, await idp.mint({ preferred_username: 'ana' })))).toMatchObject({
        identity: 'ana',
      });
      expectProblem(await post(agent, await idp.mint({ preferred_username: 'Ana\u200b' })), 403, 'forbidden');
      expectInvalidToken(await post(agent, await idp.mint()), /names no user/);
    });
  });
});

describe('bearerJwtIdentity with the provider down', () => {
  it('answers 502 when the provider is unreachable, through Express and Koa', async () => {
    const idp = await startIdpStandIn();
    const token = await idp.mint({ roles: ['host'] });
    await idp.close();
    for (const variant of VARIANTS) {
      const agent = appWith(variant, { issuer: idp.issuer, audience: IDP_AUDIENCE });
      expectProblem(await post(agent, token), 502, 'upstream_error');
    }
  });
});

describe('bearerJwtIdentity options', () => {
  const base = { issuer: 'https://idp.example', audience: 'api' };
  it.each([
    ['no issuer', { audience: 'api' }, /issuer must be/],
    ['an http issuer off this machine', { ...base, issuer: 'http://idp.example' }, /https/],
    ['no audience', { issuer: base.issuer }, /audience must be/],
    ['HS256', { ...base, algorithms: ['HS256'] }, /HS256 is never accepted/],
    ['none', { ...base, algorithms: ['none'] }, /none is never accepted/],
    ['an empty algorithm list', { ...base, algorithms: [] }, /non-empty array/],
    ['a negative tolerance', { ...base, clockToleranceSeconds: -1 }, /clockToleranceSeconds/],
    ['a misspelt option', { ...base, audiance: 'api' }, /no option "audiance"/],
    ['a quote in the realm', { ...base, realm: 'a"b' }, /realm/],
    ['an empty authorizedParties', { ...base, authorizedParties: [] }, /authorizedParties must be/],
    ['a number in authorizedParties', { ...base, authorizedParties: ['app', 7] }, /authorizedParties must be/],
    ['a requiredType with a space', { ...base, requiredType: 'at jwt' }, /requiredType must be/],
    ['an empty subjectClaim', { ...base, subjectClaim: '' }, /subjectClaim must be/],
    ['subjectClaim with toIdentity', { ...base, subjectClaim: 'email', toIdentity: () => null }, /not both/],
    ['a negative jwksStaleIfErrorSeconds', { ...base, jwksStaleIfErrorSeconds: -1 }, /jwksStaleIfErrorSeconds/],
    ['a logger without warn', { ...base, logger: { info() {} } }, /logger must have/],
  ])('refuses %s at creation', (_name, options, message) => {
    expect(() => bearerJwtIdentity(options as BearerJwtIdentityOptions)).toThrow(TypeError);
    expect(() => bearerJwtIdentity(options as BearerJwtIdentityOptions)).toThrow(message);
  });
});
