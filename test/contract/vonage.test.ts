import { generateKeyPairSync } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Grant } from '@roomkey/core';
import { decodeJwt, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { MODES } from './apps.js';
import { frozenClock } from './support/clock.js';
import { OPEN } from './support/grants.js';
import { expectProblem, postJson } from './support/http.js';
import { apiKeyIdentify } from './support/identity.js';
import { serve } from './support/options.js';
import { SECRET } from './support/tokens.js';

const require = createRequire(import.meta.url);
const { verifySignature } = require('@vonage/jwt') as { verifySignature(token: string, key: string): boolean };

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
const APPLICATION_ID = '3b0b8f32-6a0e-4d49-9a9c-2f4d1e6b7c8a';
const API_KEY = '46000001';
const API_SECRET = 'b7e151628aed2a6abf7158809cf4f3c762e7160f';
const session = (owner: string) => `2_${Buffer.from(`1~${owner}~~Sun Nov 22 2026~contract~~`).toString('base64url')}`;
// Verifiers that read the real clock (@vonage/jwt) need tokens issued near the real now.
const realNow = () => frozenClock(new Date(Math.floor(Date.now() / 1000) * 1000).toISOString());

describe.each(MODES)('Vonage Video tokens through $label', (mode) => {
  const vonageApp = (grant: Grant = { ...OPEN, role: 'moderator', sessions: 'any' }) => {
    const clock = realNow();
    return {
      clock,
      ...serve(mode, {
        identify: apiKeyIdentify(mode.variant),
        authorize: () => grant,
        vonage: { applicationId: APPLICATION_ID, privateKey: privatePem },
        clock,
      }),
    };
  };

  it('issues a vonage token for a session request, verifiable with Vonage’s own code and jose', async () => {
    const { agent, clock } = vonageApp();
    const sessionId = session(APPLICATION_ID);
    const res = await postJson(agent, { session: sessionId, role: 'publisher-only' });
    expect(res.status, res.text).toBe(200);
    expect(Object.keys(res.body.tokens)).toEqual(['vonage']);
    const { token, expiresAt } = res.body.tokens.vonage;
    expect(verifySignature(token, publicPem)).toBe(true);
    const { payload } = await jwtVerify(token, publicKey, { algorithms: ['RS256'], currentDate: clock.date() });
    expect(payload).toMatchObject({ session_id: sessionId, role: 'publisheronly', application_id: APPLICATION_ID });
    // No lifetime asked or granted: Vonage's default of 24 hours.
    expect(payload.exp).toBe(Math.floor(clock.now() / 1000) + 24 * 3600);
    expect(expiresAt).toBe(new Date((payload.exp as number) * 1000).toISOString());
    expect(payload).not.toHaveProperty('connection_data');
  });

  it('maps each role, caps the lifetime by the grant, and takes connection data from the grant only', async () => {
    const { agent, clock } = vonageApp({
      role: 'moderator',
      sessions: 'any',
      ttlMinutes: 10,
      connectionData: 'seat=12',
    });
    for (const [role, wire] of [
      ['subscriber', 'subscriber'],
      ['publisher', 'publisher'],
      ['moderator', 'moderator'],
    ]) {
      const res = await postJson(agent, { session: session(APPLICATION_ID), role, ttlMinutes: 60 });
      const claims = decodeJwt(res.body.tokens.vonage.token);
      expect(claims.role).toBe(wire);
      expect(claims.exp).toBe(Math.floor(clock.now() / 1000) + 600);
      expect(claims.connection_data).toBe('seat=12');
    }
  });

  it('refuses a session outside the grant (403) and a malformed session id (400), with no token', async () => {
    const { agent } = vonageApp({ role: 'publisher', sessions: [session(APPLICATION_ID)] });
    expectProblem(await postJson(agent, { session: session('someone-else') }), 403, 'forbidden');
    expectProblem(await postJson(agent, { session: 'not a session' }), 400, 'invalid_request');
    expectProblem(await postJson(agent, { session: session(APPLICATION_ID), data: 'x' }), 400, 'invalid_request');
  });

  it('issues red5pro and vonage tokens together when both are addressed', async () => {
    const clock = realNow();
    const { agent } = serve(mode, {
      identify: apiKeyIdentify(mode.variant),
      authorize: () => ({ ...OPEN, role: 'publisher', rooms: 'any', sessions: 'any' }),
      red5pro: { secret: SECRET },
      vonage: { applicationId: APPLICATION_ID, privateKey: privatePem },
      clock,
    });
    const res = await postJson(agent, { room: 'stage', session: session(APPLICATION_ID) });
    expect(res.status, res.text).toBe(200);
    expect(Object.keys(res.body.tokens).sort()).toEqual(['red5pro', 'vonage']);
    expect(decodeJwt(res.body.tokens.red5pro.token).exp).toBe(Math.floor(clock.now() / 1000) + 3570);
  });

  it('serves legacy OpenTok projects, refusing sessions of another API key with 400', async () => {
    const { agent } = serve(mode, {
      identify: apiKeyIdentify(mode.variant),
      authorize: () => ({ ...OPEN, role: 'subscriber', sessions: 'any' }),
      opentok: { apiKey: API_KEY, apiSecret: API_SECRET },
      clock: realNow(),
    });
    const res = await postJson(agent, { session: session(API_KEY) });
    expect(res.status, res.text).toBe(200);
    const { payload } = await jwtVerify(res.body.tokens.vonage.token, new TextEncoder().encode(API_SECRET), {
      algorithms: ['HS256'],
      currentDate: new Date(),
    });
    expect(payload).toMatchObject({ iss: API_KEY, ist: 'project', role: 'subscriber', session_id: session(API_KEY) });
    const problem = expectProblem(await postJson(agent, { session: session('46000002') }), 400, 'invalid_request');
    expect(problem.detail).toMatch(/does not belong to this API key/);
  });
});

describe('Vonage configuration is checked when the handler is created', () => {
  it.each(MODES.filter((mode) => !mode.bodyParser))(
    '$label: refuses a 1024-bit key and vonage with opentok',
    (mode) => {
      const weak = generateKeyPairSync('rsa', { modulusLength: 1024 })
        .privateKey.export({ type: 'pkcs8', format: 'pem' })
        .toString();
      const identify = () => null;
      expect(() =>
        mode.variant.issueTokens({ identify, vonage: { applicationId: APPLICATION_ID, privateKey: weak } }),
      ).toThrow(/1024-bit RSA key/);
      expect(() =>
        mode.variant.issueTokens({
          identify,
          vonage: { applicationId: APPLICATION_ID, privateKey: privatePem },
          opentok: { apiKey: API_KEY, apiSecret: API_SECRET },
        }),
      ).toThrow(/vonage and opentok both issue the "vonage" token: configure one of them/);
    },
  );
});
