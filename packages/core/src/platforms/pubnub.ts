import { createHmac } from 'node:crypto';
import { type Clock, epochSeconds, resolveClock } from '../clock.js';
import { RoomkeyError } from '../errors.js';
import { hasControlCharacter } from '../names.js';
import { rejectUnknownOptions } from '../options.js';
import { checkSecretCharacters } from '../secret.js';

/** PubNub Access Manager v3 accepts token lifetimes from 1 minute to 30 days, in whole minutes. */
export const PUBNUB_MIN_TTL_MINUTES = 1;
export const PUBNUB_MAX_TTL_MINUTES = 43_200;

/** PubNub limits a uuid to 64 characters and a channel name to 92. */
export const PUBNUB_MAX_UUID_LENGTH = 64;
export const PUBNUB_MAX_CHANNEL_LENGTH = 92;

/** The host PubNub's documentation names for its REST API. */
export const PUBNUB_DEFAULT_ORIGIN = 'ps.pndsn.com';
export const PUBNUB_DEFAULT_TIMEOUT_MS = 5_000;

/**
 * The `uuid` a grant request is made as. PubNub counts distinct uuids as monthly active users,
 * so the server uses one fixed id. (Red5's package sends its master key here; roomkey never
 * sends a credential anywhere but into a signature.)
 */
export const PUBNUB_SERVER_UUID = 'roomkey-server';
/** The `pnsdk` value of roomkey's requests: PubNub's analytics see who is calling. */
export const PUBNUB_SDK_NAME = 'roomkey';

/** Permission bits of Access Manager v3, as PubNub's SDKs write them. */
export const PUBNUB_PERMISSION_BITS = Object.freeze({
  read: 1,
  write: 2,
  manage: 4,
  delete: 8,
  get: 32,
  update: 64,
  join: 128,
});
export type PubNubPermission = keyof typeof PUBNUB_PERMISSION_BITS;
export type PubNubChannelPermissions = Readonly<Partial<Record<PubNubPermission, boolean>>>;

/** The three keys of a PubNub keyset. The secret key never leaves this process but as an HMAC key. */
export interface PubNubKeyset {
  readonly publishKey: string;
  readonly subscribeKey: string;
  readonly secretKey: string;
}

export interface PubNubAccessManagerOptions extends PubNubKeyset {
  /** Host (and optional port) of PubNub's REST API, without a scheme. Default `ps.pndsn.com`. */
  readonly origin?: string | undefined;
  /** HTTPS; default `true`, except for a loopback origin (a local stand-in), which defaults to plain HTTP. `false` is allowed only for a loopback origin. */
  readonly ssl?: boolean | undefined;
  /** Give up on PubNub after this many milliseconds. Default 5000. */
  readonly timeoutMs?: number | undefined;
  /** Default: the global `fetch`. */
  readonly fetch?: FetchLike | undefined;
  readonly clock?: Clock | undefined;
}

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

/** One token: who may use it, for how long, and what it allows on which channels. */
export interface PubNubTokenGrant {
  /** The only uuid that may use the token (PubNub's `authorized_uuid`). */
  readonly authorizedUuid: string;
  /** Whole minutes, from 1 to 43200. */
  readonly ttlMinutes: number;
  /** Channel name → permissions, granted in the order given. */
  readonly channels: Readonly<Record<string, PubNubChannelPermissions>>;
}

export interface PubNubAccessManager {
  /** The base URL requests go to, e.g. `https://ps.pndsn.com`. */
  readonly baseUrl: string;
  /** Asks PubNub for a token; resolves to the token text. Failures are `upstream_error`. */
  grantToken(grant: PubNubTokenGrant): Promise<string>;
}

/** What a v2 signature covers. Query values are the plain (not yet encoded) values. */
export interface PubNubSignatureInput {
  readonly secretKey: string;
  readonly publishKey: string;
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly body?: string;
}

/**
 * PubNub's query encoding: `encodeURIComponent` plus `!~*'()`, so that the signed text and the
 * sent URL agree byte for byte.
 */
export function encodePubNubQueryValue(value: string): string {
  return encodeURIComponent(value).replace(/[!~*'()]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * The `v2.` request signature of PubNub's REST API: unpadded base64url of
 * HMAC-SHA256(secretKey, `METHOD\npublishKey\npath\nsorted query\nbody`). Pure: no clock, no I/O.
 *
 * @example
 * const signature = signPubNubRequest({ secretKey, publishKey, method: 'POST', path, query, body });
 */
export function signPubNubRequest(input: PubNubSignatureInput): string {
  const query = Object.keys(input.query)
    .sort()
    .map((key) => `${key}=${encodePubNubQueryValue(input.query[key] as string)}`)
    .join('&');
  const signed = `${input.method}\n${input.publishKey}\n${input.path}\n${query}\n${input.body ?? ''}`;
  return `v2.${createHmac('sha256', input.secretKey).update(signed).digest('base64url')}`;
}

/** The bits of one resource's permissions; unknown names are refused, not ignored. */
export function pubNubPermissionBits(permissions: PubNubChannelPermissions): number {
  let bits = 0;
  for (const [name, allowed] of Object.entries(permissions)) {
    if (!Object.hasOwn(PUBNUB_PERMISSION_BITS, name)) {
      throw new RoomkeyError(
        'invalid_claim',
        `unknown PubNub permission (use ${Object.keys(PUBNUB_PERMISSION_BITS).join(', ')})`,
      );
    }
    if (allowed !== undefined && typeof allowed !== 'boolean') {
      throw new RoomkeyError('invalid_claim', 'PubNub permissions must be true or false');
    }
    if (allowed) bits |= PUBNUB_PERMISSION_BITS[name as PubNubPermission];
  }
  return bits;
}

/** The JSON body of a grant, with every key PubNub's SDK writes, in its order. */
export function pubNubGrantBody(grant: PubNubTokenGrant): string {
  const channels: Record<string, number> = {};
  for (const [name, permissions] of Object.entries(grant.channels)) channels[name] = pubNubPermissionBits(permissions);
  const empty = () => ({ channels: {}, groups: {}, uuids: {}, users: {}, spaces: {} });
  return JSON.stringify({
    ttl: grant.ttlMinutes,
    permissions: {
      uuid: grant.authorizedUuid,
      resources: { ...empty(), channels },
      patterns: empty(),
      meta: {},
    },
  });
}

/**
 * Creates a client for PubNub Access Manager v3 grants, made with `fetch` and `node:crypto`
 * (PubNub's SDK would bring its browser and React Native code into a backend install). The
 * options are checked once, here: a bad origin or key throws a `TypeError`.
 *
 * @example
 * const pam = createPubNubAccessManager({ publishKey, subscribeKey, secretKey });
 * const token = await pam.grantToken({
 *   authorizedUuid: 'user-123', ttlMinutes: 60, channels: { 'room-abc': { read: true } },
 * });
 */
export function createPubNubAccessManager(options: PubNubAccessManagerOptions): PubNubAccessManager {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('createPubNubAccessManager(options): options must be an object with the PubNub keyset');
  }
  rejectUnknownOptions(
    options,
    ['publishKey', 'subscribeKey', 'secretKey', 'origin', 'ssl', 'timeoutMs', 'fetch', 'clock'],
    'createPubNubAccessManager',
  );
  const publishKey = checkKey(options.publishKey, 'publishKey');
  const subscribeKey = checkKey(options.subscribeKey, 'subscribeKey');
  const { secretKey } = options;
  if (typeof secretKey === 'string') checkSecretCharacters(secretKey, 'secretKey');
  if (typeof secretKey !== 'string' || secretKey.length === 0) {
    throw new TypeError('secretKey must be the PubNub secret key (sec-c-…) of the keyset');
  }
  const baseUrl = resolvePubNubBaseUrl(options.origin, options.ssl);
  const timeoutMs = options.timeoutMs ?? PUBNUB_DEFAULT_TIMEOUT_MS;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 60_000) {
    throw new TypeError('timeoutMs must be a whole number of milliseconds from 1 to 60000');
  }
  const send = options.fetch ?? globalThis.fetch;
  if (typeof send !== 'function') {
    throw new TypeError('fetch must be a function like the global fetch (Node 18 or later has one)');
  }
  const clock = resolveClock(options.clock);
  const path = `/v3/pam/${subscribeKey}/grant`;

  return {
    baseUrl,
    async grantToken(grant) {
      const body = pubNubGrantBody(checkGrant(grant));
      // The order PubNub's SDK writes; the signature sorts its own copy.
      const query: Record<string, string> = {
        uuid: PUBNUB_SERVER_UUID,
        pnsdk: PUBNUB_SDK_NAME,
        timestamp: String(epochSeconds(clock)),
      };
      query.signature = signPubNubRequest({ secretKey, publishKey, method: 'POST', path, query, body });
      const search = Object.entries(query)
        .map(([key, value]) => `${key}=${encodePubNubQueryValue(value)}`)
        .join('&');
      return requestToken(send, `${baseUrl}${path}?${search}`, body, timeoutMs);
    },
  };
}

/**
 * One grant with its own options: checks them, asks PubNub, resolves to the token. Bad options
 * reject with a `TypeError`; for many grants, create one {@link createPubNubAccessManager}.
 */
export async function grantPubNubToken(options: PubNubAccessManagerOptions, grant: PubNubTokenGrant): Promise<string> {
  return createPubNubAccessManager(options).grantToken(grant);
}

async function requestToken(send: FetchLike, url: string, body: string, timeoutMs: number): Promise<string> {
  let response: Response;
  let text: string;
  try {
    response = await send(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      throw new RoomkeyError('upstream_error', refusal(response.status));
    }
    text = await response.text();
  } catch (error) {
    if (error instanceof RoomkeyError) throw error;
    // Only a timeout's name or a system error code is kept: the cause could quote the URL,
    // whose query carries the signature.
    throw new RoomkeyError(
      'upstream_error',
      `PubNub Access Manager could not be reached (${networkReason(error, timeoutMs)})`,
    );
  }
  const token = readToken(text);
  if (token === undefined) {
    throw new RoomkeyError(
      'upstream_error',
      `PubNub Access Manager answered HTTP ${response.status} without a token; check the origin setting`,
    );
  }
  return token;
}

function refusal(status: number): string {
  const hint =
    status >= 300 && status < 400
      ? ': a redirect, which roomkey does not follow; check the pubnub.origin setting'
      : status === 400 || status === 403
        ? ': check the PubNub keys in the master secret, that Access Manager is enabled on the keyset, ' +
          "and that this server's clock is right (PubNub refuses requests more than 60 s off)"
        : status >= 500
          ? ': PubNub failed; try again later'
          : '';
  return `PubNub Access Manager refused the grant with HTTP ${status}${hint}`;
}

function networkReason(error: unknown, timeoutMs: number): string {
  const name = (error as { name?: unknown } | null)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause;
  const code = cause?.code ?? (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[A-Z0-9_]{2,40}$/.test(code) ? code : 'network error';
}

function readToken(text: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  const token = (parsed as { data?: { token?: unknown } } | null)?.data?.token;
  if (
    typeof token !== 'string' ||
    token.length === 0 ||
    token.length > 32_768 ||
    /\s/.test(token) ||
    hasControlCharacter(token)
  ) {
    return undefined;
  }
  return token;
}

function checkGrant(grant: PubNubTokenGrant): PubNubTokenGrant {
  if (typeof grant !== 'object' || grant === null) {
    throw new RoomkeyError('invalid_claim', 'grantToken(grant): grant must be an object');
  }
  const { authorizedUuid, ttlMinutes, channels } = grant;
  if (
    typeof authorizedUuid !== 'string' ||
    authorizedUuid.trim().length === 0 ||
    authorizedUuid.length > PUBNUB_MAX_UUID_LENGTH ||
    hasControlCharacter(authorizedUuid)
  ) {
    throw new RoomkeyError(
      'invalid_claim',
      `authorizedUuid must be a non-blank string of at most ${PUBNUB_MAX_UUID_LENGTH} characters without control characters`,
    );
  }
  checkPubNubTtlMinutes(ttlMinutes, 'ttlMinutes');
  if (typeof channels !== 'object' || channels === null || Object.keys(channels).length === 0) {
    throw new RoomkeyError('invalid_claim', 'channels must name at least one channel');
  }
  for (const name of Object.keys(channels)) {
    if (
      name.length === 0 ||
      name.length > PUBNUB_MAX_CHANNEL_LENGTH ||
      /[\s,:*/\\]/.test(name) ||
      hasControlCharacter(name)
    ) {
      throw new RoomkeyError(
        'invalid_claim',
        `a channel name must have 1 to ${PUBNUB_MAX_CHANNEL_LENGTH} characters and none of , : * / \\ or white space`,
      );
    }
  }
  return grant;
}

/** Refuses a lifetime PubNub would refuse: whole minutes from 1 to 43200 (30 days). */
export function checkPubNubTtlMinutes(value: unknown, field: string): number {
  if (
    !Number.isInteger(value) ||
    (value as number) < PUBNUB_MIN_TTL_MINUTES ||
    (value as number) > PUBNUB_MAX_TTL_MINUTES
  ) {
    throw new RoomkeyError(
      'invalid_claim',
      `${field} must be a whole number of minutes from ${PUBNUB_MIN_TTL_MINUTES} to ${PUBNUB_MAX_TTL_MINUTES} (30 days)`,
    );
  }
  return value as number;
}

/** PubNub keys go into the path and the signed text: only the characters PubNub's keys use. */
function checkKey(value: unknown, option: string): string {
  if (typeof value !== 'string' || !/^[A-Za-z0-9_-]{1,128}$/.test(value)) {
    throw new TypeError(
      `${option} must be a PubNub ${option === 'publishKey' ? 'publish key (pub-c-…)' : 'subscribe key (sub-c-…)'}`,
    );
  }
  return value;
}

/** A DNS name (labels of letters, digits and inner hyphens) or a bracketed IPv6 address, then an optional `:port`. */
const ORIGIN =
  /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*)(?::\d{1,5})?$/;

/**
 * The base URL for an `origin` host and `ssl` flag, as PubNub's SDK builds it. Plain HTTP would
 * show the grant to the network, so it is allowed only for a loopback host.
 */
export function resolvePubNubBaseUrl(origin: unknown = PUBNUB_DEFAULT_ORIGIN, ssl?: unknown): string {
  if (ssl !== undefined && typeof ssl !== 'boolean') throw new TypeError('pubnub.ssl must be true or false');
  if (typeof origin !== 'string' || origin.length === 0 || origin.length > 255) {
    throw new TypeError('pubnub.origin must be a host name such as ps.pndsn.com (optionally with :port)');
  }
  const host = ORIGIN.test(origin) ? parseUrl(`http://${origin}`) : null;
  // Default: HTTPS, except for a loopback origin (a local stand-in), which speaks plain HTTP.
  const secure = ssl ?? !(host !== null && isLoopbackHost(host.hostname));
  const url = host === null ? null : parseUrl(`${secure ? 'https' : 'http'}://${origin}`);
  if (url === null || url.pathname !== '/' || url.hostname === '') {
    throw new TypeError(
      'pubnub.origin must be a host name such as ps.pndsn.com, optionally with :port, and no scheme or path ' +
        '(choose http or https with pubnub.ssl)',
    );
  }
  if (!secure && !isLoopbackHost(url.hostname)) {
    throw new TypeError(
      'pubnub.ssl may be false only for a loopback origin (127.0.0.0/8, ::1 or localhost): ' +
        'grants carry tokens that must not cross a network in clear text',
    );
  }
  return url.origin;
}

function parseUrl(text: string): URL | null {
  try {
    return new URL(text);
  } catch {
    return null;
  }
}

function isLoopbackHost(hostname: string): boolean {
  if (hostname === 'localhost' || hostname === '[::1]') return true;
  // URL has already normalised IPv4 (e.g. 127.1 → 127.0.0.1).
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}
