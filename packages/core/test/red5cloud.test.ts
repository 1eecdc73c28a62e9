import { inspect } from 'node:util';
import { closedPortOrigin, type PubNubStandIn, startPubNubStandIn } from '@roomkey/pubnub-stand-in';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import jwt from 'jsonwebtoken';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Grant } from '../src/grant.js';
import type { PlatformIssueInput } from '../src/platform.js';
import {
  createRed5CloudClient,
  decodeRed5MasterSecret,
  encodeRed5MasterSecret,
  RED5CLOUD_DEFAULT_TTL_SECONDS,
  RED5CLOUD_MAX_TTL_SECONDS,
  RED5CLOUD_ROLE_MAP,
  Red5Client,
  type Red5CloudClientOptions,
  type Red5CloudCredentials,
  red5CloudChatPlatform,
  red5CloudConferencePlatform,
} from '../src/platforms/red5cloud.js';
import type { Role } from '../src/roles.js';
import {
  caughtErrors,
  expectNoLeak,
  expectRoomkeyError,
  expectTypeError,
  frozenClock,
  NOW_MS,
  NOW_S,
} from './support/fixtures.js';
import {
  CONFERENCE_CLAIMS,
  credentialFields,
  makeCredentials,
  makeMasterKey,
  referenceDecode,
  referenceMasterSecret,
  standInKeyset,
} from './support/red5cloud.js';

const masterKey = makeMasterKey();
/** Another app's master key: a credential too, and never to be echoed either. */
const otherMasterKey = makeMasterKey();
const credentials = makeCredentials();
/** Made by the test's own encoder, not roomkey's: what the Red5 Cloud dashboard hands out. */
const masterSecret = referenceMasterSecret(masterKey, credentialFields(credentials));

let standIn: PubNubStandIn;

beforeAll(async () => {
  standIn = await startPubNubStandIn(standInKeyset(credentials), () => NOW_MS);
});

afterAll(async () => {
  await standIn.close();
});

beforeEach(() => {
  standIn.mode = 'ok';
});

afterEach(() => {
  vi.restoreAllMocks();
});

function client(options: Red5CloudClientOptions = {}): Red5Client {
  return new Red5Client(masterKey, masterSecret, {
    pubnub: { origin: standIn.origin, ssl: false, ...options.pubnub },
    clock: frozenClock(),
    ...(options.fetch !== undefined && { fetch: options.fetch }),
  });
}

/** Decodes a token's payload without trusting it: for assertions on what it carries. */
function payloadOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
}

/** Everything secret this file handles: no error may contain any of it. */
function sensitive(): string[] {
  return [
    masterKey,
    masterKey.slice(0, 16),
    otherMasterKey,
    masterSecret,
    Buffer.from(masterSecret, 'base64').toString('latin1'),
    ...credentialFields(credentials),
    ...standIn.requests.map((request) => request.query.signature ?? '').filter((value) => value !== ''),
    ...standIn.tokens,
  ];
}

describe('Red5 Cloud master secrets', () => {
  it('reads a master secret made by an independent encoder of Red5’s scheme', () => {
    expect(decodeRed5MasterSecret(masterKey, masterSecret)).toEqual(credentials);
  });

  it('encodes master secrets that an independent decoder of Red5’s scheme reads', () => {
    const encoded = encodeRed5MasterSecret(masterKey, credentials);
    expect(referenceDecode(masterKey, encoded)).toEqual(credentialFields(credentials));
    expect(Buffer.from(encoded, 'base64').toString('latin1')).toMatch(/^(?:[0-9a-f]{32})+$/);
  });

  it('is its own inverse, including for text outside ASCII', () => {
    const unusual: Red5CloudCredentials = { ...credentials, conferenceSecret: 'sécret-ü-✓-𝄞 with spaces' };
    expect(decodeRed5MasterSecret(masterKey, encodeRed5MasterSecret(masterKey, unusual))).toEqual(unusual);
    expect(encodeRed5MasterSecret(masterKey, credentials)).toBe(masterSecret);
  });

  it('uses only the first 16 characters of the master key, as Red5 does', () => {
    const sameStart = `${masterKey.slice(0, 16)}${'z'.repeat(16)}`;
    expect(decodeRed5MasterSecret(sameStart, masterSecret)).toEqual(credentials);
  });

  it('ignores fields after the fifth, as Red5 does', () => {
    const longer = referenceMasterSecret(masterKey, [...credentialFields(credentials), 'future-field']);
    expect(decodeRed5MasterSecret(masterKey, longer)).toEqual(credentials);
  });

  it('reads the URL-safe, unpadded spelling of the same bytes, as Red5’s Buffer-based decoding does', () => {
    const urlSafe = Buffer.from(masterSecret, 'base64').toString('base64url');
    expect(decodeRed5MasterSecret(masterKey, urlSafe)).toEqual(credentials);
  });

  it('tolerates spaces around the master secret, but not a line break (like every secret)', () => {
    expect(decodeRed5MasterSecret(masterKey, `  ${masterSecret}  `)).toEqual(credentials);
    expect(() => decodeRed5MasterSecret(masterKey, `${masterSecret}\n`)).toThrow(/contains a line break/);
  });

  it('refuses a master key that is not the one the secret was made with', async () => {
    await expectTypeError(
      () => decodeRed5MasterSecret(otherMasterKey, masterSecret),
      /does not decrypt with this masterKey/,
    );
  });

  it.each([
    ['truncated', masterSecret.slice(0, -8), /cut short/],
    ['not base64', `${masterSecret.slice(0, 20)}!!${masterSecret.slice(22)}`, /not base64/],
    ['base64 of something other than hex', Buffer.from('x'.repeat(64)).toString('base64'), /shape/],
    ['empty', '', /not base64/],
  ])('refuses a master secret that is %s', async (_name, secret, message) => {
    await expectTypeError(() => decodeRed5MasterSecret(masterKey, secret), message);
  });

  it('names the missing field when the secret holds only four (the older format)', async () => {
    const four = referenceMasterSecret(masterKey, credentialFields(credentials).slice(0, 4));
    await expectTypeError(
      () => decodeRed5MasterSecret(masterKey, four),
      /its streamManagerHost field is missing or empty/,
    );
  });

  it('names empty fields', async () => {
    const fields = credentialFields(credentials);
    const holes = referenceMasterSecret(masterKey, [fields[0] ?? '', '', fields[2] ?? '', '', fields[4] ?? '']);
    await expectTypeError(
      () => decodeRed5MasterSecret(masterKey, holes),
      /its pubnubSecretKey, pubnubSubscribeKey fields are missing or empty/,
    );
  });

  it('refuses a decrypted PubNub key that could not be one', async () => {
    const fields = credentialFields(credentials);
    const bad = referenceMasterSecret(masterKey, [
      fields[0] ?? '',
      fields[1] ?? '',
      'pub c/1',
      fields[3] ?? '',
      fields[4] ?? '',
    ]);
    await expectTypeError(() => decodeRed5MasterSecret(masterKey, bad), /pubnubPublishKey is not a PubNub key/);
  });

  it.each([
    ['a number', 42],
    ['too short', 'abc'],
    ['with a space', `${masterKey.slice(0, 20)} ${masterKey.slice(21)}`],
  ])('refuses a master key that is %s', async (_name, key) => {
    await expectTypeError(() => decodeRed5MasterSecret(key as string, masterSecret), /masterKey must be/);
  });

  it('refuses to encode a field holding the separator', async () => {
    await expectTypeError(
      () => encodeRed5MasterSecret(masterKey, { ...credentials, conferenceSecret: 'a|b' }),
      /conferenceSecret contains "\|"/,
    );
    await expectTypeError(
      () => encodeRed5MasterSecret(masterKey, { ...credentials, streamManagerHost: '' }),
      /streamManagerHost must be non-empty/,
    );
  });
});

describe('new Red5Client: bad credentials fail at construction, loudly', () => {
  it('throws a TypeError (Red5’s package logs and returns a broken client)', async () => {
    const log = vi.spyOn(console, 'error');
    await expectTypeError(() => new Red5Client(masterKey, masterSecret.slice(0, -8)), /masterSecret/);
    await expectTypeError(() => new Red5Client(otherMasterKey, masterSecret), /does not decrypt/);
    await expectTypeError(
      () => createRed5CloudClient({ masterKey, masterSecret: 'bm9wZQ==' }),
      /masterSecret does not have the shape/,
    );
    expect(log).not.toHaveBeenCalled();
  });

  it('checks the PubNub settings at construction', async () => {
    await expectTypeError(
      () => new Red5Client(masterKey, masterSecret, { pubnub: { origin: 'pubnub.example.com', ssl: false } }),
      /loopback/,
    );
    await expectTypeError(() => new Red5Client(masterKey, masterSecret, { pubnub: { timeoutMs: 0 } }), /timeoutMs/);
    await expectTypeError(() => new Red5Client(masterKey, masterSecret, { clock: {} as never }), /clock\.now/);
  });

  it('shows no credential when logged or serialised', () => {
    const red5 = client();
    const shown = `${inspect(red5, { depth: 8, showHidden: true })}${JSON.stringify(red5)}`;
    for (const value of [masterKey, masterSecret, credentials.conferenceSecret, credentials.pubnubSecretKey]) {
      expect(shown).not.toContain(value);
    }
    expect(red5.streamManagerHost).toBe(credentials.streamManagerHost);
  });

  it('createRed5CloudClient is the same client from one options object', async () => {
    const red5 = createRed5CloudClient({
      masterKey,
      masterSecret,
      pubnub: { origin: standIn.origin, ssl: false },
      clock: frozenClock(),
    });
    expect(red5).toBeInstanceOf(Red5Client);
    const token = await red5.getConferenceToken('user-1', 'room-1', 'subscriber', 5);
    expect(payloadOf(token)).toMatchObject({ uid: 'user-1', roomId: 'room-1', iat: NOW_S, exp: NOW_S + 300 });
  });
});

describe('conference tokens', () => {
  it('carry exactly Red5’s payload and header, and verify with jose and jsonwebtoken', async () => {
    const token = await client().getConferenceToken('user-123', 'room-abc', 'publisher', 60);
    const pubnubToken = standIn.last().token;
    const expected = {
      uid: 'user-123',
      roomId: 'room-abc',
      role: 'publisher',
      pubnubSubscribeKey: credentials.pubnubSubscribeKey,
      pubnubPublishKey: credentials.pubnubPublishKey,
      pubnubToken,
      iat: NOW_S,
      exp: NOW_S + 3600,
    };
    expect(pubnubToken).toMatch(/^qEF2AkF0/);
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256', typ: 'JWT' });
    const { payload, protectedHeader } = await jwtVerify(
      token,
      new TextEncoder().encode(credentials.conferenceSecret),
      {
        algorithms: ['HS256'],
        currentDate: new Date(NOW_MS),
      },
    );
    expect(protectedHeader).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(payload).toEqual(expected);
    expect(jwt.verify(token, credentials.conferenceSecret, { algorithms: ['HS256'], clockTimestamp: NOW_S })).toEqual(
      expected,
    );
    expect(Object.keys(payloadOf(token))).toEqual(CONFERENCE_CLAIMS);
  });

  it('are byte for byte the token Red5’s package signs (jsonwebtoken over the same payload)', async () => {
    const { token, claims } = await client().issueConferenceToken({
      userId: 'user-123',
      roomId: 'room-abc',
      role: 'admin',
      ttlMinutes: 120,
    });
    // Red5's package: jwt.sign(payload, conferenceSecret, { algorithm: 'HS256' }) with iat and exp set.
    expect(token).toBe(jwt.sign({ ...claims }, credentials.conferenceSecret, { algorithm: 'HS256' }));
  });

  it('carry the PubNub rights asked for on the room, and refuse none or malformed ones', async () => {
    const input = { userId: 'user-123', roomId: 'room-abc', role: 'admin' } as const;
    await client().issueConferenceToken({ ...input, chat: { read: true, write: false } });
    expect(standIn.last().json?.permissions.resources.channels).toEqual({ 'room-abc': 1, 'room-abc-pnpres': 1 });
    const before = standIn.requests.length;
    for (const chat of [{ read: false, write: false }, { read: 'yes', write: true }, 'read']) {
      const error = await expectRoomkeyError(
        () => client().issueConferenceToken({ ...input, chat: chat as never }),
        'invalid_claim',
      );
      expect(error.message).toMatch(/^chat/);
    }
    expect(standIn.requests).toHaveLength(before);
  });

  it('do not verify with another secret', async () => {
    const token = await client().getConferenceToken('user-123', 'room-abc', 'subscriber', 10);
    expect(() => jwt.verify(token, makeCredentials().conferenceSecret, { clockTimestamp: NOW_S })).toThrow(
      /invalid signature/,
    );
  });

  it.each([
    ['subscriber', { 'room-abc': 1, 'room-abc-pnpres': 1 }],
    ['publisher', { 'room-abc': 3, 'room-abc-pnpres': 1 }],
    ['admin', { 'room-abc': 3, 'room-abc-pnpres': 1 }],
  ] as const)(
    'embed a PubNub grant for a %s: the room and its presence channel, for this user alone',
    async (role, channels) => {
      const { claims, expiresAt } = await client().issueConferenceToken({
        userId: 'user-123',
        roomId: 'room-abc',
        role,
        ttlMinutes: 45,
      });
      const grant = standIn.last();
      expect(grant.signatureValid).toBe(true);
      expect(grant.json).toEqual({
        ttl: 45,
        permissions: {
          uuid: 'user-123',
          resources: { channels, groups: {}, uuids: {}, users: {}, spaces: {} },
          patterns: { channels: {}, groups: {}, uuids: {}, users: {}, spaces: {} },
          meta: {},
        },
      });
      // The request is made as roomkey's server uuid, never as the master key (Red5's choice).
      expect(grant.query.uuid).toBe('roomkey-server');
      expect(grant.rawQuery).not.toContain(masterKey);
      expect(claims).toMatchObject({ role, pubnubToken: grant.token, iat: NOW_S, exp: NOW_S + 45 * 60 });
      expect(expiresAt).toEqual(new Date((NOW_S + 45 * 60) * 1000));
    },
  );

  // Red5's package trims both, which maps `alice ` onto `alice`: another user's chat identity.
  it.each([
    ['a space after it', 'user-123 '],
    ['a tab before it', '\tuser-123'],
    ['a no-break space', 'user\u00a0123'],
    ['a byte order mark', '\ufeffuser-123'],
    ['a line separator', 'user-123\u2028'],
    ['a zero-width space', 'user\u200b-123'],
    ['decomposed Unicode (not NFC)', 'rene\u0301'],
  ])('refuse a user id with %s before asking PubNub, never trimming it', async (_name, userId) => {
    const before = standIn.requests.length;
    const error = await expectRoomkeyError(
      () => client().getConferenceToken(userId, 'room-abc', 'subscriber', 5),
      'invalid_claim',
    );
    expect(error.message).toMatch(/^userId /);
    expect(error.message).not.toContain(userId);
    expect(standIn.requests).toHaveLength(before);
  });

  it('use a user id exactly as given, with an inner space and non-ASCII letters', async () => {
    const token = await client().getConferenceToken('René Dupont', 'room-abc', 'subscriber', 5);
    expect(payloadOf(token).uid).toBe('René Dupont');
    expect(standIn.last().json?.permissions.uuid).toBe('René Dupont');
  });

  it('refuse a room id with spaces around it instead of trimming it', async () => {
    await expectRoomkeyError(
      () => client().getConferenceToken('user-123', ' room-abc ', 'subscriber', 5),
      'invalid_claim',
    );
  });

  it('last 60 minutes by default', async () => {
    const token = await client().getConferenceToken('user-123', 'room-abc', 'subscriber');
    expect(payloadOf(token).exp).toBe(NOW_S + 3600);
    expect(standIn.last().json?.ttl).toBe(60);
  });

  it.each([1, 43_200])('accept %i minutes', async (minutes) => {
    const token = await client().getConferenceToken('user-123', 'room-abc', 'subscriber', minutes);
    expect(payloadOf(token).exp).toBe(NOW_S + minutes * 60);
  });

  it.each(['Publisher', 'moderator', 'owner', '', undefined, null, 'admin '])(
    'refuse the role %j before asking PubNub',
    async (role) => {
      const before = standIn.requests.length;
      await expectRoomkeyError(
        () => client().getConferenceToken('user-123', 'room-abc', role as never, 60),
        'invalid_claim',
      );
      expect(standIn.requests).toHaveLength(before);
    },
  );

  it.each([
    ['an empty user id', '', 'room-abc'],
    ['a blank user id', '   ', 'room-abc'],
    ['a user id longer than PubNub allows', 'u'.repeat(65), 'room-abc'],
    ['a user id with a control character', 'user\u0000123', 'room-abc'],
    ['a user id that is not a string', 42, 'room-abc'],
    ['a room with a comma', 'user-123', 'room-a,room-b'],
    ['a room with a space', 'user-123', 'room abc'],
    ['an empty room', 'user-123', ''],
    ['a room too long for its presence channel', 'user-123', 'r'.repeat(86)],
    ['a room named like a presence channel', 'user-123', 'room-abc-pnpres'],
  ])('refuse %s', async (_name, userId, roomId) => {
    const error = await expectRoomkeyError(
      () => client().getConferenceToken(userId as string, roomId as string, 'publisher', 60),
      'invalid_claim',
    );
    if (typeof userId === 'string' && userId.trim().length > 3) expect(error.message).not.toContain(userId);
  });

  it.each([0, -5, 1.5, 43_201, Number.NaN, '60'])('refuse %j minutes', async (minutes) => {
    await expectRoomkeyError(
      () => client().getConferenceToken('user-123', 'room-abc', 'publisher', minutes as number),
      'invalid_claim',
    );
  });
});

describe('chat tokens', () => {
  it.each([
    [true, true, { 'channel-global': 3, 'channel-global-pnpres': 1 }],
    [true, false, { 'channel-global': 1, 'channel-global-pnpres': 1 }],
    [false, true, { 'channel-global': 2 }],
  ])('read %s, write %s: grants %j', async (read, write, channels) => {
    const token = await client().getChatToken('user-123', 'channel-global', read, write, 30);
    const grant = standIn.last();
    expect(token).toBe(grant.token);
    expect(grant.signatureValid).toBe(true);
    expect(grant.json?.ttl).toBe(30);
    expect(grant.json?.permissions.uuid).toBe('user-123');
    expect(grant.json?.permissions.resources.channels).toEqual(channels);
  });

  it('report when they expire', async () => {
    const { expiresAt } = await client().issueChatToken({
      userId: 'user-123',
      channelId: 'channel-global',
      read: true,
      write: false,
      ttlMinutes: 30,
    });
    expect(expiresAt).toEqual(new Date(NOW_MS + 30 * 60_000));
  });

  it('refuse a token that would allow nothing, or rights that are not booleans', async () => {
    await expectRoomkeyError(() => client().getChatToken('user-123', 'channel-global', false, false), 'invalid_claim');
    await expectRoomkeyError(
      () => client().getChatToken('user-123', 'channel-global', 1 as never, true),
      'invalid_claim',
    );
    await expectRoomkeyError(() => client().getChatToken('user-123', 'channel,other', true, true), 'invalid_claim');
  });
});

describe('PubNub failures while issuing', () => {
  it.each([
    ['refuses', 'forbidden'],
    ['fails', 'error'],
    ['answers garbage', 'garbage'],
  ] as const)('no conference token when PubNub %s', async (_name, mode) => {
    standIn.mode = mode;
    await expectRoomkeyError(() => client().getConferenceToken('user-123', 'room-abc', 'admin', 60), 'upstream_error');
  });

  it('no chat token when PubNub hangs', async () => {
    standIn.mode = 'hang';
    const error = await expectRoomkeyError(
      () => client({ pubnub: { timeoutMs: 150 } }).getChatToken('user-123', 'channel-global', true, true, 30),
      'upstream_error',
    );
    expect(error.message).toMatch(/no answer within 150 ms/);
  });

  it('no token when PubNub is unreachable', async () => {
    const origin = await closedPortOrigin();
    await expectRoomkeyError(
      () => client({ pubnub: { origin } }).getConferenceToken('user-123', 'room-abc', 'publisher', 60),
      'upstream_error',
    );
  });
});

describe('the pipeline platforms', () => {
  const identity = { id: 'carol' };
  function input(role: Role, overrides: Partial<PlatformIssueInput> = {}): PlatformIssueInput {
    return { identity, grant: { role }, role, target: 'room-abc', transports: 'any', ttlSeconds: 1800, ...overrides };
  }

  it('conference: named and bounded for the pipeline', () => {
    const platform = red5CloudConferencePlatform(client());
    expect(platform).toMatchObject({
      tokenName: 'conference',
      addressedBy: 'room',
      maxTtlSeconds: 43_200 * 60,
      defaultTtlSeconds: 3600,
    });
    expect(RED5CLOUD_MAX_TTL_SECONDS).toBe(2_592_000);
    expect(RED5CLOUD_DEFAULT_TTL_SECONDS).toBe(3600);
  });

  it.each([
    ['subscriber', 'subscriber', 1],
    ['publisher-only', 'publisher', 3],
    ['publisher', 'publisher', 3],
    ['moderator', 'admin', 3],
  ] as const)('conference: a roomkey %s is a Red5 Cloud %s', async (role, red5Role, bits) => {
    const { token, expiresAt } = await red5CloudConferencePlatform(client()).issue(input(role));
    expect(RED5CLOUD_ROLE_MAP[role]).toBe(red5Role);
    expect(payloadOf(token)).toMatchObject({ uid: 'carol', roomId: 'room-abc', role: red5Role, exp: NOW_S + 1800 });
    expect(standIn.last().json?.permissions.resources.channels).toEqual({ 'room-abc': bits, 'room-abc-pnpres': 1 });
    expect(expiresAt).toEqual(new Date((NOW_S + 1800) * 1000));
  });

  it.each([
    [3599, 59],
    [60, 1],
    [30, 1],
    [RED5CLOUD_MAX_TTL_SECONDS, 43_200],
  ])('conference: %i seconds become %i whole minutes', async (ttlSeconds, minutes) => {
    const { token } = await red5CloudConferencePlatform(client()).issue(input('subscriber', { ttlSeconds }));
    expect(payloadOf(token).exp).toBe(NOW_S + minutes * 60);
    expect(standIn.last().json?.ttl).toBe(minutes);
  });

  it('chat: named and bounded for the pipeline', () => {
    expect(red5CloudChatPlatform(client())).toMatchObject({
      tokenName: 'chat',
      addressedBy: 'channel',
      maxTtlSeconds: RED5CLOUD_MAX_TTL_SECONDS,
      defaultTtlSeconds: RED5CLOUD_DEFAULT_TTL_SECONDS,
    });
  });

  it.each([
    ['subscriber', 1],
    ['publisher-only', 3],
    ['publisher', 3],
    ['moderator', 3],
  ] as const)('chat: by default a %s gets bits %i on the channel', async (role, bits) => {
    const { token, expiresAt } = await red5CloudChatPlatform(client()).issue(
      input(role, { target: 'channel-global', ttlSeconds: 600 }),
    );
    const grant = standIn.last();
    expect(token).toBe(grant.token);
    expect(grant.json?.ttl).toBe(10);
    expect(grant.json?.permissions.uuid).toBe('carol');
    expect(grant.json?.permissions.resources.channels).toEqual({ 'channel-global': bits, 'channel-global-pnpres': 1 });
    expect(expiresAt).toEqual(new Date(NOW_MS + 600_000));
  });

  it.each([
    ['read only for a moderator', 'moderator', { read: true }, { 'channel-global': 1, 'channel-global-pnpres': 1 }],
    ['write only for a subscriber', 'subscriber', { write: true }, { 'channel-global': 2 }],
    [
      'both, spelled out',
      'publisher',
      { read: true, write: true },
      { 'channel-global': 3, 'channel-global-pnpres': 1 },
    ],
  ] as const)('chat: the grant’s chat rights decide: %s', async (_name, role, chat, channels) => {
    const grant = { role, chat } as Grant;
    await red5CloudChatPlatform(client()).issue(input(role, { grant, target: 'channel-global' }));
    expect(standIn.last().json?.permissions.resources.channels).toEqual(channels);
  });

  it.each([
    ['no rights at all', {}],
    ['a right that is not a boolean', { read: 'yes' }],
    ['chat that is not an object', true],
  ])('chat: refuses a grant with %s', async (_name, chat) => {
    const grant = { role: 'publisher', chat } as unknown as Grant;
    await expectRoomkeyError(
      () => red5CloudChatPlatform(client()).issue(input('publisher', { grant, target: 'channel-global' })),
      'invalid_claim',
    );
  });

  it('refuse anything but a Red5Client', async () => {
    await expectTypeError(() => red5CloudConferencePlatform({} as Red5Client), /Red5Client/);
    await expectTypeError(() => red5CloudChatPlatform({} as Red5Client), /Red5Client/);
  });
});

describe('secrecy', () => {
  // Runs last: every error the tests above caught, from every failure path in this file.
  it('no error disclosed a master key, the master secret, a decrypted field, a signature or a token', () => {
    expect(caughtErrors.length).toBeGreaterThan(50);
    expect(caughtErrors.some((error) => error instanceof TypeError)).toBe(true);
    expect(standIn.tokens.length).toBeGreaterThan(20);
    expectNoLeak(caughtErrors, sensitive());
  });
});
