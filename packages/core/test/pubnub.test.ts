import { randomBytes, randomUUID } from 'node:crypto';
import {
  closedPortOrigin,
  type PubNubStandIn,
  type StandInKeyset,
  startPubNubStandIn,
  verifyV2Signature,
} from '@roomkey/pubnub-stand-in';
import PubNub from 'pubnub';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  createPubNubAccessManager,
  encodePubNubQueryValue,
  grantPubNubToken,
  PUBNUB_MAX_TTL_MINUTES,
  PUBNUB_SERVER_UUID,
  type PubNubAccessManagerOptions,
  type PubNubTokenGrant,
  pubNubGrantBody,
  resolvePubNubBaseUrl,
  signPubNubRequest,
} from '../src/platforms/pubnub.js';
import {
  caughtErrors,
  expectNoLeak,
  expectRoomkeyError,
  expectTypeError,
  frozenClock,
  NOW_MS,
  NOW_S,
} from './support/fixtures.js';

const keyset: StandInKeyset = {
  publishKey: `pub-c-${randomUUID()}`,
  subscribeKey: `sub-c-${randomUUID()}`,
  secretKey: `sec-c-${randomBytes(27).toString('base64url')}`,
};

let standIn: PubNubStandIn;

beforeAll(async () => {
  standIn = await startPubNubStandIn(keyset, () => NOW_MS);
});

afterAll(async () => {
  await standIn.close();
});

beforeEach(() => {
  standIn.mode = 'ok';
});

afterEach(() => {
  vi.useRealTimers();
});

function options(overrides: Partial<PubNubAccessManagerOptions> = {}): PubNubAccessManagerOptions {
  return { ...keyset, origin: standIn.origin, ssl: false, clock: frozenClock(), ...overrides };
}

const readWrite: PubNubTokenGrant = {
  authorizedUuid: 'user-123',
  ttlMinutes: 60,
  channels: { 'room-abc': { read: true, write: true }, 'room-abc-pnpres': { read: true } },
};

/** PubNub's SDK, told to make the request roomkey makes: same requester uuid, same pnsdk, no request id. */
function sdkLikeRoomkey(): PubNub {
  // `useRequestId` is a runtime option the SDK's published types leave out.
  const configuration = {
    ...keyset,
    userId: PUBNUB_SERVER_UUID,
    sdkName: 'roomkey',
    useRequestId: false,
    origin: standIn.origin,
    ssl: false,
  };
  return new PubNub(configuration);
}

/** Runs `action` with Date frozen at the fixtures' instant, for PubNub's SDK. */
async function atNow<T>(action: () => Promise<T>): Promise<T> {
  vi.useFakeTimers({ now: NOW_MS, toFake: ['Date'] });
  try {
    return await action();
  } finally {
    vi.useRealTimers();
  }
}

/** The same grant expressed in the SDK's parameters. */
function sdkGrant(grant: PubNubTokenGrant) {
  return { ttl: grant.ttlMinutes, authorized_uuid: grant.authorizedUuid, resources: { channels: grant.channels } };
}

describe('PubNub Access Manager grant: the request PubNub’s own SDK makes', () => {
  const grants: Array<[string, PubNubTokenGrant]> = [
    ['a read and write grant with a presence channel', readWrite],
    [
      'a read-only grant for 30 days',
      {
        authorizedUuid: 'viewer-9',
        ttlMinutes: PUBNUB_MAX_TTL_MINUTES,
        channels: { live: { read: true }, 'live-pnpres': { read: true } },
      },
    ],
    [
      'every permission bit, and a uuid outside ASCII',
      {
        authorizedUuid: 'zoë ✓ (admin)',
        ttlMinutes: 1,
        channels: {
          ops: { read: true, write: true, manage: true, delete: true, get: true, update: true, join: true },
        },
      },
    ],
  ];

  it.each(grants)('%s: byte for byte the same query, signature and body', async (_name, grant) => {
    const ours = await createPubNubAccessManager(options()).grantToken(grant);
    const mine = standIn.last();
    const theirs = await atNow(() => sdkLikeRoomkey().grantToken(sdkGrant(grant)));
    const sdk = standIn.last();

    expect(mine).not.toBe(sdk);
    expect(sdk.signatureValid).toBe(true);
    expect(mine.signatureValid).toBe(true);
    expect(mine.method).toBe(sdk.method);
    expect(mine.path).toBe(sdk.path);
    expect(mine.rawQuery).toBe(sdk.rawQuery);
    expect(mine.query.signature).toBe(sdk.query.signature);
    expect(mine.body).toBe(sdk.body);
    expect(mine.contentType).toBe(sdk.contentType);
    expect(ours).toBe(mine.token);
    expect(theirs).toBe(sdk.token);
  });

  it('signs exactly what the SDK signs in its default configuration (request id, its own pnsdk)', async () => {
    const sdk = new PubNub({ ...keyset, userId: "odd uuid !~*'() ü", origin: standIn.origin, ssl: false });
    await atNow(() => sdk.grantToken(sdkGrant(readWrite)));
    const request = standIn.last();
    expect(request.signatureValid).toBe(true);
    expect(Object.keys(request.query).sort()).toEqual(['pnsdk', 'requestid', 'signature', 'timestamp', 'uuid']);
    const { signature, ...unsigned } = request.query;
    expect(
      signPubNubRequest({ ...keyset, method: 'POST', path: request.path, query: unsigned, body: request.body }),
    ).toBe(signature);
    // and its URL encodes values as PubNub's encoding does
    expect(request.rawQuery).toContain(`uuid=${encodePubNubQueryValue("odd uuid !~*'() ü")}`);
  });

  it('writes the body of DESIGN.md: channels with their bits, every other resource empty', async () => {
    await createPubNubAccessManager(options()).grantToken(readWrite);
    const request = standIn.last();
    expect(request.path).toBe(`/v3/pam/${keyset.subscribeKey}/grant`);
    expect(JSON.parse(request.body)).toEqual({
      ttl: 60,
      permissions: {
        uuid: 'user-123',
        resources: { channels: { 'room-abc': 3, 'room-abc-pnpres': 1 }, groups: {}, uuids: {}, users: {}, spaces: {} },
        patterns: { channels: {}, groups: {}, uuids: {}, users: {}, spaces: {} },
        meta: {},
      },
    });
    expect(request.body).toBe(pubNubGrantBody(readWrite));
    expect(request.query).toEqual({
      uuid: PUBNUB_SERVER_UUID,
      pnsdk: 'roomkey',
      timestamp: String(NOW_S),
      signature: expect.stringMatching(/^v2\.[A-Za-z0-9_-]{43}$/),
    });
  });

  it('never sends the secret key: not in the URL, not in the body', async () => {
    await createPubNubAccessManager(options()).grantToken(readWrite);
    const request = standIn.last();
    expect(request.rawQuery).not.toContain(keyset.secretKey);
    expect(request.body).not.toContain(keyset.secretKey);
  });
});

describe('signPubNubRequest', () => {
  const base = {
    ...keyset,
    method: 'POST',
    path: `/v3/pam/${keyset.subscribeKey}/grant`,
    body: '{"ttl":5}',
  };

  it('agrees with the stand-in’s independent check, whatever the query order', () => {
    const query = { uuid: 'a', timestamp: '1700000000', pnsdk: 'x' };
    const signature = signPubNubRequest({ ...base, query });
    const rawQuery = `timestamp=1700000000&uuid=a&pnsdk=x&signature=${signature}`;
    expect(verifyV2Signature({ method: 'POST', path: base.path, rawQuery, body: base.body }, keyset)).toBe(true);
    expect(signPubNubRequest({ ...base, query: { pnsdk: 'x', uuid: 'a', timestamp: '1700000000' } })).toBe(signature);
  });

  it('changes with every signed part', () => {
    const query = { uuid: 'a', timestamp: '1700000000' };
    const signature = signPubNubRequest({ ...base, query });
    expect(signPubNubRequest({ ...base, query, body: '{"ttl":6}' })).not.toBe(signature);
    expect(signPubNubRequest({ ...base, query: { ...query, timestamp: '1700000001' } })).not.toBe(signature);
    expect(signPubNubRequest({ ...base, query, path: '/v3/pam/other/grant' })).not.toBe(signature);
    expect(signPubNubRequest({ ...base, query, publishKey: 'pub-c-other' })).not.toBe(signature);
    expect(signPubNubRequest({ ...base, query, secretKey: 'sec-c-other' })).not.toBe(signature);
  });

  it("encodes query values as PubNub does: encodeURIComponent plus !~*'()", () => {
    expect(encodePubNubQueryValue("a b!~*'()/é")).toBe('a%20b%21%7E%2A%27%28%29%2F%C3%A9');
  });
});

describe('PubNub grant lifetimes and contents', () => {
  it.each([1, 60, PUBNUB_MAX_TTL_MINUTES])('sends a ttl of %i minutes', async (ttlMinutes) => {
    await createPubNubAccessManager(options()).grantToken({ ...readWrite, ttlMinutes });
    expect(standIn.last().json?.ttl).toBe(ttlMinutes);
  });

  it.each([0, -1, 1.5, PUBNUB_MAX_TTL_MINUTES + 1, Number.NaN, '60' as unknown as number])(
    'refuses a ttl of %s minutes before sending anything',
    async (ttlMinutes) => {
      const before = standIn.requests.length;
      await expectRoomkeyError(
        () => createPubNubAccessManager(options()).grantToken({ ...readWrite, ttlMinutes }),
        'invalid_claim',
      );
      expect(standIn.requests).toHaveLength(before);
    },
  );

  it.each([
    ['no channel', {}],
    ['a channel name with a comma', { 'a,b': { read: true } }],
    ['a channel name of 93 characters', { ['c'.repeat(93)]: { read: true } }],
    ['an unknown permission', { a: { admin: true } as never }],
  ])('refuses %s', async (_name, channels) => {
    await expectRoomkeyError(
      () => createPubNubAccessManager(options()).grantToken({ ...readWrite, channels }),
      'invalid_claim',
    );
  });

  it.each(['', '   ', 'u'.repeat(65), 'bad\nuuid'])('refuses the authorized uuid %j', async (authorizedUuid) => {
    await expectRoomkeyError(
      () => createPubNubAccessManager(options()).grantToken({ ...readWrite, authorizedUuid }),
      'invalid_claim',
    );
  });
});

describe('PubNub failures are upstream_error and disclose nothing', () => {
  /** Everything that must never appear in an error: the secret, every signature sent, every token. */
  function sensitive(): string[] {
    return [keyset.secretKey, ...standIn.requests.map((r) => r.query.signature ?? ''), ...standIn.tokens].filter(
      (value) => value.length > 0,
    );
  }

  it.each([
    ['refusing (403)', 'forbidden', /HTTP 403.*clock/],
    ['failing (500)', 'error', /HTTP 500/],
    ['answering garbage', 'garbage', /HTTP 200 without a token/],
    ['answering without a token', 'no-token', /without a token/],
    ['redirecting', 'redirect', /HTTP 302.*redirect/],
  ] as const)('PubNub %s', async (_name, mode, message) => {
    standIn.mode = mode;
    const error = await expectRoomkeyError(() => grantPubNubToken(options(), readWrite), 'upstream_error');
    expect(error.message).toMatch(message);
    expect(standIn.last().signatureValid).toBe(true);
  });

  it('PubNub hanging: gives up after timeoutMs', async () => {
    standIn.mode = 'hang';
    const started = Date.now();
    const error = await expectRoomkeyError(
      () => grantPubNubToken(options({ timeoutMs: 200 }), readWrite),
      'upstream_error',
    );
    expect(error.message).toMatch(/no answer within 200 ms/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('PubNub unreachable (a closed port)', async () => {
    const origin = await closedPortOrigin();
    const error = await expectRoomkeyError(() => grantPubNubToken(options({ origin }), readWrite), 'upstream_error');
    expect(error.message).toMatch(/could not be reached \(ECONNREFUSED\)/);
    expect(error.cause).toBeUndefined();
  });

  it('a grant signed with another secret key is refused by PubNub (the stand-in checks signatures)', async () => {
    const error = await expectRoomkeyError(
      () => grantPubNubToken(options({ secretKey: `sec-c-${randomBytes(27).toString('base64url')}` }), readWrite),
      'upstream_error',
    );
    expect(error.message).toMatch(/HTTP 403/);
    expect(standIn.last().signatureValid).toBe(false);
  });

  it('a server clock two minutes off is refused by PubNub (the stand-in checks timestamps)', async () => {
    const error = await expectRoomkeyError(
      () => grantPubNubToken(options({ clock: frozenClock(NOW_MS - 120_000) }), readWrite),
      'upstream_error',
    );
    expect(error.message).toMatch(/HTTP 403/);
    expect(standIn.last()).toMatchObject({ signatureValid: true, timestampValid: false });
  });

  it('an injected fetch that throws is upstream_error too, without its message', async () => {
    const fetch = async () => {
      throw new Error(`boom ${keyset.secretKey}`);
    };
    const error = await expectRoomkeyError(() => grantPubNubToken(options({ fetch }), readWrite), 'upstream_error');
    expect(error.message).not.toContain('boom');
  });

  // Runs after the failures above, on every error this file caught.
  it('no error disclosed the secret key, a signature or a token', () => {
    expect(
      caughtErrors.filter((error) => (error as { code?: string }).code === 'upstream_error').length,
    ).toBeGreaterThan(8);
    expect(standIn.tokens.length).toBeGreaterThan(5);
    expectNoLeak(caughtErrors, sensitive());
  });
});

describe('PubNub connection settings', () => {
  it('goes to https://ps.pndsn.com by default', async () => {
    const calls: Array<{ url: string; init: RequestInit }> = [];
    const fetch = async (url: string, init: RequestInit) => {
      calls.push({ url, init });
      return Response.json({ status: 200, data: { message: 'Success', token: 'qEF2AkF0Gm' } });
    };
    const pam = createPubNubAccessManager({ ...keyset, fetch, clock: frozenClock() });
    expect(pam.baseUrl).toBe('https://ps.pndsn.com');
    await expect(pam.grantToken(readWrite)).resolves.toBe('qEF2AkF0Gm');
    expect(calls).toHaveLength(1);
    const url = new URL(calls[0]?.url ?? '');
    expect(url.origin).toBe('https://ps.pndsn.com');
    expect(url.pathname).toBe(`/v3/pam/${keyset.subscribeKey}/grant`);
    expect(calls[0]?.init).toMatchObject({ method: 'POST', redirect: 'manual', body: pubNubGrantBody(readWrite) });
    expect(calls[0]?.init.signal).toBeInstanceOf(AbortSignal);
  });

  it.each([
    ['ps.pndsn.com', true, 'https://ps.pndsn.com'],
    ['pubsub.example.com:8443', true, 'https://pubsub.example.com:8443'],
    ['127.0.0.1:8080', false, 'http://127.0.0.1:8080'],
    ['127.9.8.7', false, 'http://127.9.8.7'],
    ['localhost:3000', false, 'http://localhost:3000'],
    ['[::1]:3000', false, 'http://[::1]:3000'],
  ])('accepts origin %s with ssl %s', (origin, ssl, baseUrl) => {
    expect(resolvePubNubBaseUrl(origin, ssl)).toBe(baseUrl);
  });

  it.each([
    ['ps.pndsn.com', 'https://ps.pndsn.com'],
    ['pubsub.example.com:8443', 'https://pubsub.example.com:8443'],
    ['10.0.0.5:8080', 'https://10.0.0.5:8080'],
    ['127.0.0.1:8090', 'http://127.0.0.1:8090'],
    ['localhost:3000', 'http://localhost:3000'],
    ['[::1]:3000', 'http://[::1]:3000'],
  ])('without ssl, speaks HTTPS to %s and plain HTTP only to a loopback stand-in (%s)', (origin, baseUrl) => {
    expect(resolvePubNubBaseUrl(origin)).toBe(baseUrl);
    expect(createPubNubAccessManager({ ...keyset, origin }).baseUrl).toBe(baseUrl);
  });

  it('refuses an unknown option, naming the closest known one', async () => {
    await expectTypeError(
      () => createPubNubAccessManager({ ...keyset, timeout: 100 } as never),
      /createPubNubAccessManager: unknown option "timeout" \(did you mean "timeoutMs"\?\)/,
    );
  });

  it.each([
    ['a public host over plain http', 'ps.pndsn.com', false],
    ['a private-range host over plain http', '10.0.0.5:8080', false],
    ['a host that only starts like loopback', '127.0.0.1.example.com', false],
    ['a host that only starts like localhost', 'localhost.example.com', false],
    ['an origin with a scheme', 'https://ps.pndsn.com', true],
    ['an origin with a path', 'ps.pndsn.com/v3', true],
    ['an origin with credentials', 'user:pw@ps.pndsn.com', true],
    ['an empty origin', '', true],
    ['a bare scheme', 'http:', true],
    ['an empty port', 'ps.pndsn.com:', true],
    ['an empty label', 'ps..pndsn.com', true],
    ['a label ending in a hyphen', 'ps-.pndsn.com', true],
    ['an underscore', 'ps_1.pndsn.com', true],
  ])('refuses %s', async (_name, origin, ssl) => {
    await expectTypeError(() => createPubNubAccessManager({ ...keyset, origin, ssl }), /pubnub\.(origin|ssl)/);
  });

  it.each([0, 1.5, 60_001])('refuses timeoutMs %s', async (timeoutMs) => {
    await expectTypeError(() => createPubNubAccessManager({ ...keyset, timeoutMs }), /timeoutMs/);
  });

  it('refuses keys that are not PubNub keys, without echoing them', async () => {
    const error = await expectTypeError(
      () => createPubNubAccessManager({ ...keyset, subscribeKey: 'sub-c-has/slash' }),
      /subscribeKey/,
    );
    expect(error.message).not.toContain('has/slash');
    await expectTypeError(() => createPubNubAccessManager({ ...keyset, secretKey: '' }), /secretKey/);
  });
});
