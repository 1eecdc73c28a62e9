import { createCipheriv, createDecipheriv, createHash, createSecretKey } from 'node:crypto';
import * as v from 'valibot';
import { type Clock, epochSeconds, resolveClock } from '../clock.js';
import { createdFromEnv, envValue, requirePair } from '../env.js';
import { RoomkeyError } from '../errors.js';
import { CHANNEL_FIELD, CHANNELS_FIELD, ROOM_FIELD, ROOMS_FIELD } from '../fields.js';
import type { ChatRights, Grant } from '../grant.js';
import { createHs256Signer, type Hs256Signer } from '../jws.js';
import { describeBadName, describeNonCanonicalId, hasControlCharacter, isValidName } from '../names.js';
import { rejectUnknownOptions } from '../options.js';
import type { GrantField, IssuedToken, PlatformIssueInput, RoomkeyPlatform, TokenPlatform } from '../platform.js';
import { HttpProblem } from '../problem.js';
import type { Role } from '../roles.js';
import { checkSecretCharacters } from '../secret.js';
import {
  checkPubNubTtlMinutes,
  createPubNubAccessManager,
  type FetchLike,
  PUBNUB_MAX_CHANNEL_LENGTH,
  PUBNUB_MAX_TTL_MINUTES,
  PUBNUB_MAX_UUID_LENGTH,
  type PubNubAccessManager,
  type PubNubChannelPermissions,
} from './pubnub.js';
import { grantedChatRights, RED5_SDK_ROUTES } from './red5-sdk-routes.js';
import { explainRed5CloudToken } from './red5cloud-explain.js';
import type { SignedToken } from './red5pro.js';

export { grantedChatRights };

/** Values of the Red5 Cloud conference token's `role` claim. */
export const RED5CLOUD_ROLES = ['admin', 'publisher', 'subscriber'] as const;
export type Red5CloudRole = (typeof RED5CLOUD_ROLES)[number];

/** How roomkey roles map onto Red5 Cloud's `role` claim (the role table in the README). */
export const RED5CLOUD_ROLE_MAP: Readonly<Record<Role, Red5CloudRole>> = Object.freeze({
  subscriber: 'subscriber',
  'publisher-only': 'publisher',
  publisher: 'publisher',
  moderator: 'admin',
});

/** Red5's examples and its package's default lifetime. */
export const RED5CLOUD_DEFAULT_TTL_MINUTES = 60;

/** The suffix PubNub gives a channel's presence channel. */
const PRESENCE_SUFFIX = '-pnpres';
/** A room or channel name leaves room for its presence channel within PubNub's 92 characters. */
export const RED5CLOUD_MAX_NAME_LENGTH = PUBNUB_MAX_CHANNEL_LENGTH - PRESENCE_SUFFIX.length;

/** What a Red5 Cloud master secret holds, in the order it holds them. */
export interface Red5CloudCredentials {
  /** HMAC key (its UTF-8 bytes) of conference tokens. */
  readonly conferenceSecret: string;
  readonly pubnubSecretKey: string;
  readonly pubnubPublishKey: string;
  readonly pubnubSubscribeKey: string;
  /** The app's Stream Manager host (Red5's conference REST API). */
  readonly streamManagerHost: string;
}

const FIELDS = [
  'conferenceSecret',
  'pubnubSecretKey',
  'pubnubPublishKey',
  'pubnubSubscribeKey',
  'streamManagerHost',
] as const satisfies readonly (keyof Red5CloudCredentials)[];

const WHERE_TO_LOOK = 'copy both from the Dev Resources page of the Red5 Cloud dashboard, whole and without quotes';

/**
 * Reads a Red5 Cloud master secret the way Red5's own backend package does: base64 → hex text →
 * AES-128-ECB (PKCS#7 padding) under MD5 of the master key's first 16 characters → UTF-8 text
 * `conferenceSecret|pubnubSecretKey|pubnubPublishKey|pubnubSubscribeKey|streamManagerHost`.
 * Anything that does not decode, or decodes with a field missing or empty, throws a `TypeError`
 * that says what to check; no part of a credential ever appears in the message.
 *
 * @example
 * const credentials = decodeRed5MasterSecret(process.env.RED5_MASTER_KEY!, process.env.RED5_MASTER_SECRET!);
 */
export function decodeRed5MasterSecret(masterKey: string, masterSecret: string): Red5CloudCredentials {
  const key = masterKeyBytes(masterKey);
  if (typeof masterSecret !== 'string') {
    throw new TypeError(`masterSecret must be a string (the Red5 Cloud master secret): ${WHERE_TO_LOOK}`);
  }
  checkSecretCharacters(masterSecret, 'masterSecret');
  // Surrounding spaces are no part of base64 (a line break was refused above, like in every
  // secret). Red5's package decodes with Buffer, which also reads the URL-safe alphabet and
  // missing padding.
  const text = masterSecret.trim();
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(text) || text.length % 4 === 1) {
    throw new TypeError(`masterSecret is not base64 text, so not a Red5 Cloud master secret: ${WHERE_TO_LOOK}`);
  }
  const hex = Buffer.from(text, 'base64').toString('latin1');
  // AES works in 16-byte blocks: anything else is a truncated or different secret.
  if (!/^(?:[0-9A-Fa-f]{32})+$/.test(hex)) {
    throw new TypeError(
      `masterSecret does not have the shape of a Red5 Cloud master secret (base64 of hex text), it may be cut short: ${WHERE_TO_LOOK}`,
    );
  }
  let plain: string;
  try {
    const decipher = createDecipheriv('aes-128-ecb', key, null);
    const bytes = Buffer.concat([decipher.update(Buffer.from(hex, 'hex')), decipher.final()]);
    plain = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new TypeError(
      `masterSecret does not decrypt with this masterKey: check that both belong to the same Red5 Cloud app; ${WHERE_TO_LOOK}`,
    );
  }
  // Like Red5's package, later fields (a future format's) are ignored.
  const parts = plain.split('|');
  const missing = FIELDS.filter((_, index) => !parts[index]);
  if (missing.length > 0) {
    throw new TypeError(
      `masterSecret decrypts, but its ${missing.join(', ')} ${missing.length === 1 ? 'field is' : 'fields are'} missing or empty: ` +
        'ask Red5 for current credentials, or check that the master key is the one issued with this secret',
    );
  }
  const credentials = Object.fromEntries(
    FIELDS.map((field, index) => [field, parts[index]]),
  ) as unknown as Red5CloudCredentials;
  checkCredentialFields(credentials, 'masterSecret decrypts, but its');
  return Object.freeze(credentials);
}

/**
 * The exact inverse of {@link decodeRed5MasterSecret}: builds a master secret for `masterKey`.
 * For tests and for teams that run their own Red5 stack.
 */
export function encodeRed5MasterSecret(masterKey: string, credentials: Red5CloudCredentials): string {
  const key = masterKeyBytes(masterKey);
  if (typeof credentials !== 'object' || credentials === null) {
    throw new TypeError(
      `encodeRed5MasterSecret(masterKey, credentials): credentials must be an object with ${FIELDS.join(', ')}`,
    );
  }
  const missing = FIELDS.filter((field) => typeof credentials[field] !== 'string' || credentials[field].length === 0);
  if (missing.length > 0) {
    throw new TypeError(`credentials: ${missing.join(', ')} must be non-empty strings`);
  }
  checkCredentialFields(credentials, 'credentials: the');
  const cipher = createCipheriv('aes-128-ecb', key, null);
  const plain = Buffer.from(FIELDS.map((field) => credentials[field]).join('|'), 'utf8');
  const hex = Buffer.concat([cipher.update(plain), cipher.final()]).toString('hex');
  return Buffer.from(hex, 'latin1').toString('base64');
}

/** MD5 of the UTF-8 bytes of the key's first 16 characters: the AES-128 key Red5 derives. */
function masterKeyBytes(masterKey: unknown): Buffer {
  if (typeof masterKey === 'string') checkSecretCharacters(masterKey, 'masterKey');
  if (typeof masterKey !== 'string' || !/^[\x21-\x7e]{16,256}$/.test(masterKey)) {
    throw new TypeError(
      `masterKey must be the Red5 Cloud master key: 16 to 256 printable ASCII characters without spaces; ${WHERE_TO_LOOK}`,
    );
  }
  return createHash('md5')
    .update(Buffer.from(masterKey.slice(0, 16), 'utf8'))
    .digest();
}

/** Field checks shared by decoding and encoding, so that whatever encodes also decodes. */
function checkCredentialFields(credentials: Red5CloudCredentials, prefix: string): void {
  const bad = (field: keyof Red5CloudCredentials, what: string): never => {
    throw new TypeError(`${prefix} ${field} ${what}`);
  };
  for (const field of FIELDS) {
    const value = credentials[field];
    if (value.includes('|')) bad(field, 'contains "|", the field separator');
    if (hasControlCharacter(value)) bad(field, 'contains a control character');
  }
  for (const field of ['pubnubPublishKey', 'pubnubSubscribeKey'] as const) {
    if (!/^[A-Za-z0-9_-]{1,128}$/.test(credentials[field]))
      bad(field, 'is not a PubNub key (letters, digits, - and _)');
  }
  for (const field of ['pubnubSecretKey', 'streamManagerHost'] as const) {
    if (/\s/.test(credentials[field])) bad(field, 'contains white space');
  }
}

export interface Red5CloudPubNubOptions {
  /** PubNub REST API host, optionally with `:port`. Default `ps.pndsn.com`. */
  readonly origin?: string | undefined;
  /** HTTPS; default `true`, except for a loopback origin (a local stand-in): plain HTTP there. `false` only for loopback. */
  readonly ssl?: boolean | undefined;
  /** Give up on PubNub after this many milliseconds. Default 5000. */
  readonly timeoutMs?: number | undefined;
}

export interface Red5CloudClientOptions {
  readonly pubnub?: Red5CloudPubNubOptions | undefined;
  readonly clock?: Clock | undefined;
  /** Default: the global `fetch`. */
  readonly fetch?: FetchLike | undefined;
}

export interface CreateRed5CloudClientOptions extends Red5CloudClientOptions {
  readonly masterKey: string | undefined;
  readonly masterSecret: string | undefined;
}

/** The payload of a conference token: exactly Red5's, in Red5's order. */
export interface Red5CloudConferenceClaims {
  readonly uid: string;
  readonly roomId: string;
  readonly role: Red5CloudRole;
  readonly pubnubSubscribeKey: string;
  readonly pubnubPublishKey: string;
  /** A PubNub token for channel `roomId` (and its presence channel), for `uid` alone. */
  readonly pubnubToken: string;
  readonly iat: number;
  readonly exp: number;
}

export interface Red5CloudConferenceInput {
  readonly userId: string;
  readonly roomId: string;
  readonly role: Red5CloudRole;
  /** Whole minutes from 1 to 43200. Default 60. */
  readonly ttlMinutes?: number | undefined;
  /**
   * The PubNub rights on the room's channel inside the token (at least one true). Default:
   * read, and write for every role but `subscriber`.
   */
  readonly chat?: { readonly read: boolean; readonly write: boolean } | undefined;
}

export interface Red5CloudChatInput {
  readonly userId: string;
  readonly channelId: string;
  readonly read: boolean;
  readonly write: boolean;
  /** Whole minutes from 1 to 43200. Default 60. */
  readonly ttlMinutes?: number | undefined;
}

/**
 * Red5 Cloud tokens: the drop-in for Red5's `red5-bcs-node` client (same constructor, same
 * methods, same tokens) that refuses bad credentials at construction, accepts only Red5's three
 * roles and grants PubNub write only to roles that may write.
 *
 * @example
 * const client = new Red5Client(process.env.RED5_MASTER_KEY!, process.env.RED5_MASTER_SECRET!);
 * const conferenceToken = await client.getConferenceToken('user-123', 'room-abc', 'publisher', 60);
 * const chatToken = await client.getChatToken('user-123', 'channel-global', true, true, 30);
 */
export class Red5Client {
  /** The app's Stream Manager host, from the master secret (not a secret). */
  readonly streamManagerHost: string;
  readonly #publishKey: string;
  readonly #subscribeKey: string;
  readonly #sign: Hs256Signer;
  readonly #pam: PubNubAccessManager;
  readonly #clock: Clock;

  constructor(masterKey: string | undefined, masterSecret: string | undefined, options: Red5CloudClientOptions = {}) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError('new Red5Client(masterKey, masterSecret, options): options must be an object');
    }
    rejectUnknownOptions(options, ['pubnub', 'clock', 'fetch'], 'red5cloud');
    const pubnub = options.pubnub ?? {};
    if (typeof pubnub !== 'object' || pubnub === null) {
      throw new TypeError('pubnub must be an object { origin?, ssl?, timeoutMs? }');
    }
    rejectUnknownOptions(pubnub, ['origin', 'ssl', 'timeoutMs'], 'red5cloud.pubnub');
    for (const [name, value] of Object.entries({ masterKey, masterSecret })) {
      if (value === undefined) {
        throw new TypeError(
          `${name} is missing (read it from the environment, such as RED5_MASTER_KEY): ${WHERE_TO_LOOK}`,
        );
      }
    }
    const credentials = decodeRed5MasterSecret(masterKey as string, masterSecret as string);
    this.#clock = resolveClock(options.clock);
    this.#pam = createPubNubAccessManager({
      publishKey: credentials.pubnubPublishKey,
      subscribeKey: credentials.pubnubSubscribeKey,
      secretKey: credentials.pubnubSecretKey,
      origin: pubnub.origin,
      ssl: pubnub.ssl,
      timeoutMs: pubnub.timeoutMs,
      fetch: options.fetch,
      clock: this.#clock,
    });
    this.#sign = createHs256Signer(createSecretKey(Buffer.from(credentials.conferenceSecret, 'utf8')));
    this.#publishKey = credentials.pubnubPublishKey;
    this.#subscribeKey = credentials.pubnubSubscribeKey;
    this.streamManagerHost = credentials.streamManagerHost;
  }

  /**
   * A conference token (HS256 JWT) for `userId` in `roomId`, with a PubNub token for the room's
   * channel embedded: subscribers may read it, publishers and admins read and write.
   */
  async getConferenceToken(
    userId: string,
    roomId: string,
    role: Red5CloudRole,
    expirationMinutes: number = RED5CLOUD_DEFAULT_TTL_MINUTES,
  ): Promise<string> {
    return (await this.issueConferenceToken({ userId, roomId, role, ttlMinutes: expirationMinutes })).token;
  }

  /** A PubNub token for `userId` on `channelId` and, when it may read, its presence channel. */
  async getChatToken(
    userId: string,
    channelId: string,
    read: boolean,
    write: boolean,
    ttlMinutes: number = RED5CLOUD_DEFAULT_TTL_MINUTES,
  ): Promise<string> {
    return (await this.issueChatToken({ userId, channelId, read, write, ttlMinutes })).token;
  }

  /** {@link getConferenceToken} with the claims and expiry alongside the token. */
  async issueConferenceToken(input: Red5CloudConferenceInput): Promise<SignedToken<Red5CloudConferenceClaims>> {
    if (typeof input !== 'object' || input === null) {
      throw new RoomkeyError('invalid_claim', 'issueConferenceToken(input): input must be an object');
    }
    const uid = checkUserId(input.userId);
    const roomId = checkChannelName(input.roomId, 'roomId');
    const role = checkRole(input.role);
    const ttlMinutes = checkPubNubTtlMinutes(input.ttlMinutes ?? RED5CLOUD_DEFAULT_TTL_MINUTES, 'expirationMinutes');
    const { read, write } = checkRights(input.chat ?? { read: true, write: role !== 'subscriber' }, 'chat');
    const now = epochSeconds(this.#clock);
    const pubnubToken = await this.#pam.grantToken({
      authorizedUuid: uid,
      ttlMinutes,
      channels: channelGrant(roomId, read, write),
    });
    // The order Red5's package writes; no other claim.
    const claims: Red5CloudConferenceClaims = {
      uid,
      roomId,
      role,
      pubnubSubscribeKey: this.#subscribeKey,
      pubnubPublishKey: this.#publishKey,
      pubnubToken,
      iat: now,
      exp: now + ttlMinutes * 60,
    };
    return { token: this.#sign(claims), expiresAt: new Date(claims.exp * 1000), claims };
  }

  /** {@link getChatToken} with the expiry alongside the token. */
  async issueChatToken(input: Red5CloudChatInput): Promise<IssuedToken> {
    if (typeof input !== 'object' || input === null) {
      throw new RoomkeyError('invalid_claim', 'issueChatToken(input): input must be an object');
    }
    const userId = checkUserId(input.userId);
    const channelId = checkChannelName(input.channelId, 'channelId');
    const { read, write } = checkRights(input, 'a chat token');
    const ttlMinutes = checkPubNubTtlMinutes(input.ttlMinutes ?? RED5CLOUD_DEFAULT_TTL_MINUTES, 'ttlMinutes');
    const now = epochSeconds(this.#clock);
    const token = await this.#pam.grantToken({
      authorizedUuid: userId,
      ttlMinutes,
      channels: channelGrant(channelId, read, write),
    });
    // PubNub counts the lifetime from its receipt of the grant, a moment after `now`.
    return { token, expiresAt: new Date((now + ttlMinutes * 60) * 1000) };
  }
}

/** PubNub rights: two booleans, at least one of them true. */
function checkRights(rights: { read: unknown; write: unknown }, what: string): { read: boolean; write: boolean } {
  const { read, write } =
    typeof rights === 'object' && rights !== null ? rights : { read: undefined, write: undefined };
  if (typeof read !== 'boolean' || typeof write !== 'boolean') {
    throw new RoomkeyError('invalid_claim', `${what}: read and write must be true or false`);
  }
  if (!read && !write) throw new RoomkeyError('invalid_claim', `${what} must allow read, write or both`);
  return { read, write };
}

/**
 * Creates a {@link Red5Client} from one options object: the master credentials are decoded and
 * checked here, once.
 *
 * @example
 * const red5 = createRed5CloudClient({
 *   masterKey: process.env.RED5_MASTER_KEY!, masterSecret: process.env.RED5_MASTER_SECRET!,
 * });
 */
export function createRed5CloudClient(options: CreateRed5CloudClientOptions): Red5Client {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('createRed5CloudClient(options): options must be an object with masterKey and masterSecret');
  }
  rejectUnknownOptions(options, ['masterKey', 'masterSecret', 'pubnub', 'clock', 'fetch'], 'red5cloud');
  const { masterKey, masterSecret, ...rest } = options;
  return new Red5Client(masterKey, masterSecret, rest);
}

/**
 * The channel and its presence channel. Subscribing to presence needs `read` on `X-pnpres`
 * and nothing there needs `write`, so the presence channel gets read alone, and only when the
 * channel itself is readable. (Red5's package grants read and write on both to everyone.)
 */
function channelGrant(channel: string, read: boolean, write: boolean): Record<string, PubNubChannelPermissions> {
  const channels: Record<string, PubNubChannelPermissions> = { [channel]: { read, write } };
  if (read) channels[`${channel}${PRESENCE_SUFFIX}`] = { read: true, write: false };
  return channels;
}

function checkRole(role: unknown): Red5CloudRole {
  if (!(RED5CLOUD_ROLES as readonly unknown[]).includes(role)) {
    throw new RoomkeyError('invalid_claim', `role must be ${RED5CLOUD_ROLES.join(', ')}`);
  }
  return role as Red5CloudRole;
}

/**
 * The user id becomes `uid` and PubNub's authorized uuid, used exactly as given. Red5's package
 * trims it, which maps `alice ` onto `alice`, another user's chat identity: here an id that is
 * not already in canonical form is refused instead (see {@link describeNonCanonicalId}).
 */
function checkUserId(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > PUBNUB_MAX_UUID_LENGTH) {
    throw new RoomkeyError(
      'invalid_claim',
      `userId must be a string of 1 to ${PUBNUB_MAX_UUID_LENGTH} characters (PubNub's uuid limit)`,
    );
  }
  const flaw = describeNonCanonicalId(value);
  if (flaw !== undefined) throw new RoomkeyError('invalid_claim', `userId ${flaw}`);
  return value;
}

function checkChannelName(name: unknown, field: string): string {
  if (!isValidName(name)) throw new RoomkeyError('invalid_claim', `${field} is ${describeBadName(name)}`);
  if (name.length > RED5CLOUD_MAX_NAME_LENGTH) {
    throw new RoomkeyError(
      'invalid_claim',
      `${field} has ${name.length} characters; at most ${RED5CLOUD_MAX_NAME_LENGTH}, so that its presence channel fits PubNub's ${PUBNUB_MAX_CHANNEL_LENGTH}`,
    );
  }
  if (name.endsWith(PRESENCE_SUFFIX)) {
    throw new RoomkeyError(
      'invalid_claim',
      `${field} ends in ${PRESENCE_SUFFIX}, the suffix of PubNub's presence channels`,
    );
  }
  return name;
}

/** The longest lifetime PubNub grants, in seconds. */
export const RED5CLOUD_MAX_TTL_SECONDS = PUBNUB_MAX_TTL_MINUTES * 60;
export const RED5CLOUD_DEFAULT_TTL_SECONDS = RED5CLOUD_DEFAULT_TTL_MINUTES * 60;

/** Red5 Cloud lifetimes are whole minutes: round down, never below one. */
function wholeMinutes(ttlSeconds: number): number {
  if (typeof ttlSeconds !== 'number' || !Number.isFinite(ttlSeconds) || ttlSeconds <= 0) {
    throw new RoomkeyError('invalid_claim', 'ttlSeconds must be a positive number of seconds');
  }
  return Math.min(PUBNUB_MAX_TTL_MINUTES, Math.max(1, Math.floor(ttlSeconds / 60)));
}

/**
 * The Red5 Cloud conference platform for the issuing pipeline: a `room` request gets a
 * `conference` token for that room, with the role mapped as the README's role table says.
 */
export function red5CloudConferencePlatform(client: Red5Client): TokenPlatform<IssuedToken> {
  if (!(client instanceof Red5Client)) {
    throw new TypeError('red5CloudConferencePlatform(client): client must be a Red5Client');
  }
  return {
    tokenName: 'conference',
    addressedBy: 'room',
    maxTtlSeconds: RED5CLOUD_MAX_TTL_SECONDS,
    defaultTtlSeconds: RED5CLOUD_DEFAULT_TTL_SECONDS,
    checkTarget: (room) => void checkChannelName(room, 'its name'),
    checkUserId: (userId) => void checkUserId(userId),
    checkGrant: requireChatRights,
    async issue(input: PlatformIssueInput) {
      const { token, expiresAt } = await client.issueConferenceToken({
        userId: input.identity.id,
        roomId: input.target,
        role: RED5CLOUD_ROLE_MAP[input.role],
        ttlMinutes: wholeMinutes(input.ttlSeconds),
        // The room is the conference's PubNub channel: the grant's chat rights hold there too.
        chat: chatRights(input),
      });
      return { token, expiresAt };
    },
  };
}

/** Chat rights an app's grant may set; absent, the role decides. */
export type Red5CloudChatRights = ChatRights;

/**
 * The Red5 Cloud chat platform for the issuing pipeline: a `channel` request gets a `chat`
 * token. Read and write come from the grant's `chat` when it has one (an absent right is not
 * given), otherwise from the role: subscribers read, every other role reads and writes.
 */
export function red5CloudChatPlatform(client: Red5Client): TokenPlatform<IssuedToken> {
  if (!(client instanceof Red5Client)) {
    throw new TypeError('red5CloudChatPlatform(client): client must be a Red5Client');
  }
  return {
    tokenName: 'chat',
    addressedBy: 'channel',
    maxTtlSeconds: RED5CLOUD_MAX_TTL_SECONDS,
    defaultTtlSeconds: RED5CLOUD_DEFAULT_TTL_SECONDS,
    checkTarget: (channel) => void checkChannelName(channel, 'its name'),
    checkUserId: (userId) => void checkUserId(userId),
    checkGrant: requireChatRights,
    async issue(input: PlatformIssueInput) {
      return client.issueChatToken({
        userId: input.identity.id,
        channelId: input.target,
        ...chatRights(input),
        ttlMinutes: wholeMinutes(input.ttlSeconds),
      });
    },
  };
}

/** Chat and conference tokens carry PubNub rights: a grant whose `chat` gives none refuses both. */
function requireChatRights(grant: Grant, role: Role): void {
  const { read, write } = grantedChatRights(grant, role);
  if (!read && !write) throw new HttpProblem('forbidden', 'Your grant allows no chat rights, which this token needs.');
}

function chatRights(input: PlatformIssueInput): { read: boolean; write: boolean } {
  const chat = (input.grant as { chat?: unknown }).chat;
  if (chat !== undefined) {
    const { read, write } = typeof chat === 'object' && chat !== null ? (chat as Record<string, unknown>) : {};
    const isRight = (value: unknown) => value === undefined || typeof value === 'boolean';
    if (typeof chat !== 'object' || chat === null || !isRight(read) || !isRight(write)) {
      throw new RoomkeyError('invalid_claim', 'grant.chat must be an object { read?: boolean, write?: boolean }');
    }
  }
  return grantedChatRights(input.grant, input.role);
}

const chatMessage = 'grant.chat must be an object { read?: boolean, write?: boolean }';

/**
 * `chat` in a grant: read and write rights on the granted channels (and on a conference's own
 * channel). Absent: the role decides (subscribers read; others read and write).
 */
export const RED5CLOUD_CHAT_FIELD: GrantField<ChatRights> = {
  message: chatMessage,
  check(value) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    for (const right in value) {
      const given = (value as Record<string, unknown>)[right];
      if ((right !== 'read' && right !== 'write') || typeof given !== 'boolean') return undefined;
    }
    return value as ChatRights;
  },
  schema: v.strictObject(
    { read: v.optional(v.boolean(chatMessage)), write: v.optional(v.boolean(chatMessage)) },
    chatMessage,
  ),
};

/**
 * Red5 Cloud: option `red5cloud` (a {@link Red5Client}, or `{ masterKey, masterSecret, pubnub? }`);
 * a `room` gets a `conference` token, a `channel` a `chat` token; the Red5 WebRTC SDK's two
 * routes. Grant fields: `rooms`, `channels`, `chat`.
 */
export const red5CloudDefinition: RoomkeyPlatform<
  Red5Client | CreateRed5CloudClientOptions,
  'red5cloud',
  'red5-chat' | 'red5-conference'
> = {
  option: 'red5cloud',
  title: 'Red5 Cloud',
  configure: 'red5cloud: { masterKey, masterSecret }',
  tokenNames: ['conference', 'chat'],
  requestFields: { room: ROOM_FIELD, channel: CHANNEL_FIELD },
  grantFields: { rooms: ROOMS_FIELD, channels: CHANNELS_FIELD, chat: RED5CLOUD_CHAT_FIELD },
  routes: RED5_SDK_ROUTES,
  create(value, { clock }) {
    const client = value instanceof Red5Client ? value : createRed5CloudClient({ clock, ...value });
    return [red5CloudConferencePlatform(client), red5CloudChatPlatform(client)];
  },
  env: {
    variables: ['RED5_MASTER_KEY', 'RED5_MASTER_SECRET', 'PUBNUB_ORIGIN'],
    read(env) {
      const masterKey = envValue(env, 'RED5_MASTER_KEY');
      const masterSecret = envValue(env, 'RED5_MASTER_SECRET');
      const origin = envValue(env, 'PUBNUB_ORIGIN');
      requirePair('RED5_MASTER_KEY', masterKey, 'RED5_MASTER_SECRET', masterSecret);
      if (masterKey === undefined || masterSecret === undefined) {
        if (origin !== undefined)
          throw new Error('PUBNUB_ORIGIN is set but RED5_MASTER_KEY and RED5_MASTER_SECRET are not');
        return undefined;
      }
      // host:port (or host), checked here to name the variable; plain HTTP only to loopback.
      if (origin !== undefined && !URL.canParse(`http://${origin}`)) {
        throw new Error('PUBNUB_ORIGIN must be host or host:port, such as ps.pndsn.com or 127.0.0.1:8090');
      }
      return createdFromEnv(
        () => createRed5CloudClient({ masterKey, masterSecret, ...(origin !== undefined && { pubnub: { origin } }) }),
        { masterKey: 'RED5_MASTER_KEY', masterSecret: 'RED5_MASTER_SECRET', pubnub: 'PUBNUB_ORIGIN' },
        'RED5_*',
      );
    },
  },
  explain: ({ token, header, claims }, { env, now, fallback }) =>
    !fallback &&
    header !== undefined &&
    claims !== undefined &&
    'uid' in claims &&
    'roomId' in claims &&
    ('pubnubToken' in claims || 'pubnubSubscribeKey' in claims)
      ? explainRed5CloudToken({ token, header, claims }, env, now, decodeRed5MasterSecret)
      : undefined,
};
