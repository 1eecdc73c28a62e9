/**
 * LiveKit tokens, checked by livekit-server-sdk's own TokenVerifier and compared with what its
 * AccessToken writes for the same inputs; jose verifies them too.
 */
import { Readable } from 'node:stream';
import {
  createLiveKitSigner,
  createTokenIssuer,
  generateSecret,
  type IncomingTokenRequest,
  type LiveKitGrant,
  ROLES,
  type Role,
} from '@roomkey/core';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { AccessToken, TokenVerifier, TrackSource, type VideoGrant } from 'livekit-server-sdk';
import { describe, expect, it, vi } from 'vitest';
import { expectTypeError, frozenClock, NOW_MS, NOW_S } from './support/fixtures.js';

const API_KEY = 'APIroomkeyTest1';
const API_SECRET = generateSecret();
const clock = frozenClock();
const signer = createLiveKitSigner({
  apiKey: API_KEY,
  apiSecret: API_SECRET,
  url: 'wss://example.livekit.cloud',
  clock,
});

/** What livekit-server-sdk's AccessToken writes for the same participant and video grant. */
async function accessTokenClaims(
  identity: string,
  video: VideoGrant,
  ttl: number,
  extra: { name?: string; metadata?: string; attributes?: Record<string, string> } = {},
) {
  const at = new AccessToken(API_KEY, API_SECRET, { identity, ttl, ...extra });
  at.addGrant(video);
  // toJwt() once: it rewrites the grant's source list in place.
  const token = await at.toJwt();
  const { nbf, exp, ...claims } = await new TokenVerifier(API_KEY, API_SECRET).verify(token);
  return { claims, lifetime: (exp as number) - (nbf as number), header: decodeProtectedHeader(token) };
}

/** Verifies at the frozen time with the SDK's verifier (a token is checked by code nobody here wrote). */
async function verifiedBySdk(token: string) {
  vi.useFakeTimers({ toFake: ['Date'], now: NOW_MS + 1000 });
  try {
    return await new TokenVerifier(API_KEY, API_SECRET).verify(token);
  } finally {
    vi.useRealTimers();
  }
}

const RIGHTS: Record<Role, Pick<VideoGrant, 'canPublish' | 'canSubscribe' | 'roomAdmin'>> = {
  subscriber: { canPublish: false, canSubscribe: true, roomAdmin: false },
  'publisher-only': { canPublish: true, canSubscribe: false, roomAdmin: false },
  publisher: { canPublish: true, canSubscribe: true, roomAdmin: false },
  moderator: { canPublish: true, canSubscribe: true, roomAdmin: true },
};

describe('LiveKit access tokens', () => {
  it.each(ROLES)('a %s token: what AccessToken writes, accepted by TokenVerifier and jose', async (role) => {
    const { token, claims, expiresAt } = signer.sign({ identity: 'ann', room: 'stage', role, ttlSeconds: 600 });
    const video: VideoGrant = {
      room: 'stage',
      roomJoin: true,
      ...RIGHTS[role],
      canPublishData: false,
      canUpdateOwnMetadata: false,
    };
    const reference = await accessTokenClaims('ann', video, 600);
    const { nbf, exp, ...ours } = await verifiedBySdk(token);
    expect(ours).toEqual(reference.claims);
    expect({ nbf, exp }).toEqual({ nbf: NOW_S, exp: NOW_S + 600 });
    expect(reference.lifetime).toBe(600);
    expect(decodeProtectedHeader(token)).toEqual(reference.header);
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256' });
    const { payload } = await jwtVerify(token, Buffer.from(API_SECRET), {
      algorithms: ['HS256'],
      issuer: API_KEY,
      subject: 'ann',
      currentDate: new Date(NOW_MS),
    });
    expect(payload).toEqual(claims);
    expect(expiresAt).toEqual(new Date((NOW_S + 600) * 1000));
  });

  it('writes every right a role lacks as false, and never room creation, listing, recording or ingress', () => {
    for (const role of ROLES) {
      const { video } = signer.sign({ identity: 'ann', room: 'stage', role }).claims;
      for (const right of [
        'canPublish',
        'canSubscribe',
        'canPublishData',
        'roomAdmin',
        'canUpdateOwnMetadata',
      ] as const) {
        expect(typeof video[right], `${role} ${right}`).toBe('boolean');
      }
      for (const never of ['roomCreate', 'roomList', 'roomRecord', 'ingressAdmin', 'hidden', 'canPublishSources']) {
        expect(video, `${role} ${never}`).not.toHaveProperty(never);
      }
    }
  });

  it('adds data and source rights, name, metadata and attributes only as the grant says, as AccessToken would', async () => {
    const grant: LiveKitGrant = {
      data: true,
      sources: ['camera', 'microphone'],
      updateOwnMetadata: true,
      hidden: true,
      name: 'Ann A.',
      metadata: '{"seat":4}',
      attributes: { team: 'blue' },
    };
    const { token, claims } = signer.sign({
      identity: 'ann',
      room: 'stage',
      role: 'publisher',
      grant,
      ttlSeconds: 900,
    });
    const reference = await accessTokenClaims(
      'ann',
      {
        room: 'stage',
        roomJoin: true,
        ...RIGHTS.publisher,
        canPublishData: true,
        canPublishSources: [TrackSource.CAMERA, TrackSource.MICROPHONE],
        canUpdateOwnMetadata: true,
        hidden: true,
      },
      900,
      { name: 'Ann A.', metadata: '{"seat":4}', attributes: { team: 'blue' } },
    );
    const { nbf: _nbf, exp: _exp, ...ours } = await verifiedBySdk(token);
    expect(ours).toEqual(reference.claims);
    expect(claims.video.canPublishSources).toEqual(['camera', 'microphone']);
    // A subscriber gets no source list (it publishes nothing), data only when granted.
    const viewer = signer.sign({ identity: 'bob', room: 'stage', role: 'subscriber', grant: { sources: ['camera'] } });
    expect(viewer.claims.video).not.toHaveProperty('canPublishSources');
    expect(viewer.claims).not.toHaveProperty('name');
  });

  it('refuses a grant LiveKit would read wider: an empty source list, an unknown right', () => {
    for (const grant of [
      { sources: [] },
      { canPublish: true },
      { sources: ['desktop'] },
      { name: '' },
      { attributes: { a: 1 } },
    ]) {
      expect(() =>
        signer.sign({ identity: 'ann', room: 'stage', role: 'publisher', grant: grant as unknown as LiveKitGrant }),
      ).toThrow(/grant\.livekit must be/);
    }
  });

  it('refuses an identity with a control character or beyond 256 characters, as the Red5 Pro signer does', () => {
    // A direct caller (roomkey sign livekit --subject) is not checked by identify's rules: a terminal
    // escape would be written into the token and printed back by the command line.
    for (const identity of ['', 'ann\u001b[31m', 'ann\n', 'a\u0000', 'x'.repeat(257)]) {
      expect(() => signer.sign({ identity, room: 'stage', role: 'publisher' })).toThrow(/identity must be/);
    }
    expect(signer.sign({ identity: 'x'.repeat(256), room: 'stage', role: 'publisher' }).claims.sub).toHaveLength(256);
  });

  it('checks its options at start-up: key, secret (as LiveKit, at least 32 bytes) and URL', async () => {
    await expectTypeError(() => createLiveKitSigner({ apiKey: undefined, apiSecret: API_SECRET }), /apiKey/);
    await expectTypeError(() => createLiveKitSigner({ apiKey: API_KEY, apiSecret: undefined }), /apiSecret is missing/);
    await expectTypeError(() => createLiveKitSigner({ apiKey: API_KEY, apiSecret: 'secret' }), /too short/);
    for (const url of ['ftp://x', 'not a url', 'wss://user:pw@host']) {
      await expectTypeError(() => createLiveKitSigner({ apiKey: API_KEY, apiSecret: API_SECRET, url }), /livekit\.url/);
    }
    for (const url of ['wss://a.livekit.cloud', 'ws://127.0.0.1:7880', 'https://a.example', 'http://localhost:7880']) {
      expect(createLiveKitSigner({ apiKey: API_KEY, apiSecret: API_SECRET, url }).url).toBe(url);
    }
    // The URL is answered to clients as it is written: a line break from an env file, a tab or a
    // space (which the URL parser drops) would reach them, so each is refused at start-up.
    for (const url of [
      'wss://a.livekit.cloud\n',
      ' wss://a.livekit.cloud',
      'wss://a.live\tkit.cloud',
      'wss://a.livekit.cloud\r',
    ]) {
      await expectTypeError(() => createLiveKitSigner({ apiKey: API_KEY, apiSecret: API_SECRET, url }), /livekit\.url/);
    }
    await expectTypeError(
      () => createLiveKitSigner({ apiKey: API_KEY, apiSecret: API_SECRET, ttl: 1 } as never),
      /unknown option "ttl"/,
    );
  });
});

describe('LiveKit through the issuing pipeline', () => {
  function post(body: unknown): IncomingTokenRequest<null> {
    return {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      stream: Readable.from([Buffer.from(JSON.stringify(body))], { objectMode: false }),
      native: null,
    };
  }
  const issuer = (grant: object | false, extra: object = {}) =>
    createTokenIssuer<null>({
      identify: () => ({ id: 'carol' }),
      authorize: () => grant as false,
      livekit: { apiKey: API_KEY, apiSecret: API_SECRET },
      clock,
      logger: { info() {}, warn() {}, error() {} },
      ...extra,
    });

  it('a room gets a livekit token: default 10 minutes, at most 6 hours, capped by the grant', async () => {
    const answer = async (grant: object, body: object) => {
      const response = await issuer(grant).handle(post(body));
      expect(response.status).toBe(200);
      const { tokens } = JSON.parse(response.body) as { tokens: { livekit: { token: string } } };
      return verifiedBySdk(tokens.livekit.token);
    };
    const plain = await answer({ role: 'publisher', rooms: ['stage'] }, { room: 'stage' });
    expect(plain).toMatchObject({ sub: 'carol', exp: NOW_S + 600, video: { room: 'stage', canPublish: true } });
    expect((await answer({ role: 'publisher', rooms: 'any' }, { room: 'stage', ttlMinutes: 10_000 })).exp).toBe(
      NOW_S + 6 * 3600,
    );
    expect((await answer({ role: 'publisher', rooms: 'any', ttlMinutes: 2 }, { room: 'stage' })).exp).toBe(NOW_S + 120);
  });

  it('a room the grant does not list is 403; a malformed grant.livekit is the app bug it is (500)', async () => {
    expect((await issuer({ role: 'publisher', rooms: ['other'] }).handle(post({ room: 'stage' }))).status).toBe(403);
    const response = await issuer({ role: 'publisher', rooms: 'any', livekit: { roomCreate: true } }).handle(
      post({ room: 'stage' }),
    );
    expect(response.status).toBe(500);
  });

  it('a room with Red5 Pro configured too gets both tokens', async () => {
    const both = issuer(
      { role: 'subscriber', rooms: 'any', transports: 'any' },
      { red5pro: { secret: generateSecret() } },
    );
    const response = await both.handle(post({ room: 'stage' }));
    expect(Object.keys((JSON.parse(response.body) as { tokens: object }).tokens).sort()).toEqual([
      'livekit',
      'red5pro',
    ]);
  });
});
