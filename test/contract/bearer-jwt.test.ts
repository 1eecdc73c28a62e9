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
  ])('refuses %s at creation', (_name, options, message) => {
    expect(() => bearerJwtIdentity(options as BearerJwtIdentityOptions)).toThrow(TypeError);
    expect(() => bearerJwtIdentity(options as BearerJwtIdentityOptions)).toThrow(message);
  });
});
