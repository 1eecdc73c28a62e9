import { jwtVerify } from 'jose';
import * as v from 'valibot';
import { type Clock, epochSeconds, resolveClock } from '../clock.js';
import { createdFromEnv, envValue, requirePair } from '../env.js';
import { RoomkeyError } from '../errors.js';
import { ROOM_FIELD, ROOMS_FIELD } from '../fields.js';
import type { Grant } from '../grant.js';
import { describeIssues } from '../issues.js';
import { createHs256Signer } from '../jws.js';
import { hasControlCharacter, NAME_PATTERN } from '../names.js';
import { rejectUnknownOptions } from '../options.js';
import {
  type DecodedToken,
  type GrantField,
  type PlatformRoute,
  type RoomkeyPlatform,
  signerFrom,
  type TokenCheck,
  type TokenPlatform,
  type TokenReport,
} from '../platform.js';
import { HttpProblem } from '../problem.js';
import type { Role } from '../roles.js';
import { createHmacSecretKey } from '../secret.js';
import type { SignedToken } from './red5pro.js';

/**
 * LiveKit (its docs and livekit-server-sdk 2.x): an HS256 access token over the API secret, header
 * `{"alg":"HS256"}`, claims `iss` (API key), `sub` (identity), `nbf`, `exp`, `video` and the
 * optional `name`, `metadata`, `attributes`, `roomConfig`; and LiveKit's standard token endpoint.
 */

/** The sources a grant may limit publishing to, as LiveKit writes them into tokens. */
export const LIVEKIT_SOURCES = ['camera', 'microphone', 'screen_share', 'screen_share_audio'] as const;
export type LiveKitSource = (typeof LIVEKIT_SOURCES)[number];

/** Default lifetime: LiveKit checks a token only when a participant connects (it refreshes tokens itself). */
export const LIVEKIT_DEFAULT_TTL_SECONDS = 10 * 60;
/** Longest lifetime: livekit-server-sdk's own default (6 h); a longer one only widens a leak. */
export const LIVEKIT_MAX_TTL_SECONDS = 6 * 60 * 60;
/** Participant metadata roomkey writes, at most (tokens travel in a URL when a client connects). */
export const LIVEKIT_MAX_METADATA_LENGTH = 4096;
const MAX_NAME_LENGTH = 256;
/** As roomkey's user ids (and Red5 Pro's subject). */
const MAX_IDENTITY_LENGTH = 256;
const MAX_ATTRIBUTES = 32;
const MAX_ATTRIBUTE_KEY_LENGTH = 128;
const MAX_ATTRIBUTE_VALUE_LENGTH = 1024;
const MAX_ROOM_CONFIG_BYTES = 4096;

/** What a client of LiveKit's token endpoint may set itself, when the grant allows it. */
export interface LiveKitClientFields {
  readonly name?: boolean;
  readonly metadata?: boolean;
  readonly attributes?: boolean;
  readonly roomConfig?: boolean;
}

/**
 * The `livekit` grant field: LiveKit rights and participant details beyond what the role gives.
 * Closed by omission: each is given only when the grant says so.
 */
export interface LiveKitGrant {
  /** `canPublishData`: send data messages (chat, reactions). Absent: no. */
  readonly data?: boolean;
  /** `canPublishSources`: publish only these sources (a non-empty list). Absent: every source the role may publish. */
  readonly sources?: readonly LiveKitSource[];
  /** `canUpdateOwnMetadata`: change its own name, metadata and attributes once connected. Absent: no. */
  readonly updateOwnMetadata?: boolean;
  /** `hidden`: invisible to other participants. Absent: visible. */
  readonly hidden?: boolean;
  /** `name`: the display name. Personal data: written only when the grant sets it. */
  readonly name?: string;
  /** `metadata`: participant metadata, visible to everyone in the room. */
  readonly metadata?: string;
  /** `attributes`: participant attributes (strings), visible to everyone in the room. */
  readonly attributes?: Readonly<Record<string, string>>;
  /** `roomConfig`: LiveKit's room configuration (agent dispatch…), as LiveKit's JSON has it. */
  readonly roomConfig?: Readonly<Record<string, unknown>>;
  /** Which fields a client of LiveKit's token endpoint may set itself (403 for any other). */
  readonly clientMay?: LiveKitClientFields;
}

declare module '../grant.js' {
  interface Grant {
    /** LiveKit rights and participant details (see `LiveKitGrant`); absent: none beyond the role's. */
    readonly livekit?: LiveKitGrant;
  }
}

/** LiveKit's video grant as roomkey writes it: every right a role lacks written out as `false`. */
export interface LiveKitVideoGrant {
  readonly room: string;
  readonly roomJoin: true;
  readonly canPublish: boolean;
  readonly canSubscribe: boolean;
  readonly canPublishData: boolean;
  readonly canPublishSources?: readonly LiveKitSource[];
  readonly canUpdateOwnMetadata: boolean;
  readonly roomAdmin: boolean;
  readonly hidden?: true;
}

/** The claims of a LiveKit access token from roomkey. */
export interface LiveKitClaims {
  readonly name?: string;
  readonly metadata?: string;
  readonly attributes?: Readonly<Record<string, string>>;
  readonly roomConfig?: Readonly<Record<string, unknown>>;
  readonly video: LiveKitVideoGrant;
  readonly iss: string;
  readonly sub: string;
  readonly nbf: number;
  readonly exp: number;
}

export interface LiveKitOptions {
  /** The API key (written as `iss`). */
  readonly apiKey: string | undefined;
  /** The API secret (at least 32 bytes, as LiveKit's server requires). */
  readonly apiSecret: string | undefined;
  /** The server's URL (`wss://…`), answered as `server_url` by LiveKit's token endpoint. */
  readonly url?: string | undefined;
  readonly clock?: Clock;
}

export interface LiveKitSignInput {
  readonly identity: string;
  readonly room: string;
  readonly role: Role;
  /** Rights and participant details beyond the role's (see {@link LiveKitGrant}). */
  readonly grant?: LiveKitGrant;
  /** Default {@link LIVEKIT_DEFAULT_TTL_SECONDS}, at most {@link LIVEKIT_MAX_TTL_SECONDS}. */
  readonly ttlSeconds?: number;
}

export interface LiveKitSigner {
  readonly apiKey: string;
  /** The server URL, when configured. */
  readonly url: string | undefined;
  sign(input: LiveKitSignInput): SignedToken<LiveKitClaims>;
}

/**
 * Creates a LiveKit access-token signer. Options are checked here, once: a missing key, a weak
 * secret or a URL that is not `ws(s)://` or `http(s)://` throws a `TypeError` that says what to fix.
 *
 * @example
 * const signer = createLiveKitSigner({ apiKey: process.env.LIVEKIT_API_KEY, apiSecret: process.env.LIVEKIT_API_SECRET });
 * const { token } = signer.sign({ identity: 'ann', room: 'stage', role: 'publisher' });
 */
export function createLiveKitSigner(options: LiveKitOptions): LiveKitSigner {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('livekit: options must be an object { apiKey, apiSecret, url? }');
  }
  rejectUnknownOptions(options, ['apiKey', 'apiSecret', 'url', 'clock'], 'livekit');
  const { apiKey, apiSecret } = options;
  if (typeof apiKey !== 'string' || apiKey.length === 0 || apiKey.length > 256 || /[\s\p{Cc}]/u.test(apiKey)) {
    throw new TypeError('livekit.apiKey must be the API key of your LiveKit project (such as LIVEKIT_API_KEY)');
  }
  if (apiSecret === undefined) {
    throw new TypeError(
      'livekit.apiSecret is missing: set it to the API secret of your LiveKit project (LIVEKIT_API_SECRET)',
    );
  }
  // LiveKit's own server refuses secrets shorter than 32 characters; roomkey's checks go further.
  const signJws = createHs256Signer(createHmacSecretKey(apiSecret, 'livekit.apiSecret'), { alg: 'HS256' });
  const url = checkUrl(options.url);
  const clock = resolveClock(options.clock);
  return {
    apiKey,
    url,
    sign(input) {
      const claims = liveKitClaims(input, apiKey, epochSeconds(clock));
      return { token: signJws(claims), expiresAt: new Date(claims.exp * 1000), claims };
    },
  };
}

function checkUrl(url: unknown): string | undefined {
  if (url === undefined) return undefined;
  const message = 'livekit.url must be the server URL, wss://… (or ws://, https://, http://), such as LIVEKIT_URL';
  // Answered to clients as written: whitespace the URL parser drops (a line break from an env file) is refused.
  if (typeof url !== 'string' || /[\s\p{Cc}]/u.test(url)) throw new TypeError(message);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(message);
  }
  if (
    !['wss:', 'ws:', 'https:', 'http:'].includes(parsed.protocol) ||
    parsed.username !== '' ||
    parsed.password !== ''
  ) {
    throw new TypeError(message);
  }
  return url;
}

/** The claims for one participant: the role's rights, every right it lacks written out as `false`. */
function liveKitClaims(input: LiveKitSignInput, apiKey: string, now: number): LiveKitClaims {
  const { identity, room, role } = input;
  // identify's ids pass this; a direct caller (roomkey sign livekit) is held to the same text rules.
  if (!isPrintable(identity, MAX_IDENTITY_LENGTH, 1)) {
    throw new RoomkeyError(
      'invalid_claim',
      `identity must be 1-${MAX_IDENTITY_LENGTH} characters without control characters`,
    );
  }
  if (typeof room !== 'string' || !NAME_PATTERN.test(room)) {
    throw new RoomkeyError('invalid_claim', 'room must be a valid room name');
  }
  const ttl = input.ttlSeconds ?? LIVEKIT_DEFAULT_TTL_SECONDS;
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > LIVEKIT_MAX_TTL_SECONDS) {
    throw new RoomkeyError('invalid_claim', `ttlSeconds must be a whole number from 1 to ${LIVEKIT_MAX_TTL_SECONDS}`);
  }
  const grant = input.grant === undefined ? {} : checkLiveKitGrant(input.grant);
  const publishes = role !== 'subscriber';
  const video: LiveKitVideoGrant = {
    room,
    roomJoin: true,
    // LiveKit reads an absent canPublish or canSubscribe as true and an absent canPublishData as
    // canPublish (livekit/protocol's GetCanPublish…): each is written out.
    canPublish: publishes,
    canSubscribe: role !== 'publisher-only',
    canPublishData: grant.data === true,
    ...(publishes && grant.sources !== undefined && { canPublishSources: grant.sources }),
    canUpdateOwnMetadata: grant.updateOwnMetadata === true,
    roomAdmin: role === 'moderator',
    ...(grant.hidden === true && { hidden: true as const }),
  };
  return {
    ...(grant.name !== undefined && { name: grant.name }),
    ...(grant.metadata !== undefined && { metadata: grant.metadata }),
    ...(grant.attributes !== undefined && { attributes: grant.attributes }),
    ...(grant.roomConfig !== undefined && { roomConfig: grant.roomConfig }),
    video,
    iss: apiKey,
    sub: identity,
    nbf: now,
    exp: now + ttl,
  };
}

const isPrintable = (value: unknown, max: number, min = 0): value is string =>
  typeof value === 'string' && value.length >= min && value.length <= max && !hasControlCharacter(value);

function isAttributes(value: unknown): value is Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const entries = Object.entries(value);
  return (
    Object.getPrototypeOf(value) === Object.prototype &&
    entries.length <= MAX_ATTRIBUTES &&
    entries.every(
      ([key, text]) => isPrintable(key, MAX_ATTRIBUTE_KEY_LENGTH, 1) && isPrintable(text, MAX_ATTRIBUTE_VALUE_LENGTH),
    )
  );
}

const isRoomConfig = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' &&
  value !== null &&
  !Array.isArray(value) &&
  Buffer.byteLength(JSON.stringify(value)) <= MAX_ROOM_CONFIG_BYTES;

const isSourceList = (value: unknown) =>
  Array.isArray(value) &&
  value.length > 0 &&
  value.every((source) => (LIVEKIT_SOURCES as readonly unknown[]).includes(source));

const GRANT_CHECKS: Readonly<Record<keyof LiveKitGrant, (value: unknown) => boolean>> = {
  data: (value) => typeof value === 'boolean',
  // An empty list would read as "every source" to LiveKit: refused, never written.
  sources: isSourceList,
  updateOwnMetadata: (value) => typeof value === 'boolean',
  hidden: (value) => typeof value === 'boolean',
  name: (value) => isPrintable(value, MAX_NAME_LENGTH, 1),
  metadata: (value) => isPrintable(value, LIVEKIT_MAX_METADATA_LENGTH),
  attributes: isAttributes,
  roomConfig: isRoomConfig,
  clientMay: (value) =>
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.entries(value).every(
      ([field, allowed]) =>
        ['name', 'metadata', 'attributes', 'roomConfig'].includes(field) && typeof allowed === 'boolean',
    ),
};

const GRANT_MESSAGE =
  `grant.livekit must be an object { data?, sources? (a non-empty list of ${LIVEKIT_SOURCES.join(', ')}), ` +
  `updateOwnMetadata?, hidden?, name? (1-${MAX_NAME_LENGTH} characters), metadata? (at most ` +
  `${LIVEKIT_MAX_METADATA_LENGTH}), attributes? (at most ${MAX_ATTRIBUTES} strings), roomConfig? (an object), ` +
  'clientMay? { name?, ' +
  'metadata?, attributes?, roomConfig? } }';

function isLiveKitGrant(value: unknown): value is LiveKitGrant {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  for (const [field, given] of Object.entries(value)) {
    const check = Object.hasOwn(GRANT_CHECKS, field) ? GRANT_CHECKS[field as keyof LiveKitGrant] : undefined;
    if (check === undefined || !check(given)) return false;
  }
  return true;
}

function checkLiveKitGrant(value: unknown): LiveKitGrant {
  if (!isLiveKitGrant(value)) throw new RoomkeyError('invalid_claim', GRANT_MESSAGE);
  return value;
}

/** `livekit` in a grant (see {@link LiveKitGrant}). */
export const LIVEKIT_GRANT_FIELD: GrantField<LiveKitGrant> = {
  message: GRANT_MESSAGE,
  check: (value) => (isLiveKitGrant(value) ? value : undefined),
  // In roomkey serve, a caller's `livekit` cap is its grant's: left out, LiveKit tokens carry the
  // role's rights only and the endpoint lets a client set nothing (clientMay opens fields).
  serviceCap: {
    schema: v.custom<LiveKitGrant>(isLiveKitGrant, GRANT_MESSAGE.replace('grant.livekit', 'livekit')),
    hint: 'an object such as { "data": true, "clientMay": { "name": true } }',
  },
};

/** The LiveKit platform object also carries its signer's URL, for LiveKit's token endpoint. */
export interface LiveKitTokenPlatform extends TokenPlatform<SignedToken<LiveKitClaims>> {
  readonly url: string | undefined;
}

/**
 * The LiveKit token platform for the issuing pipeline: a `room` request gets a `livekit` token
 * for that room, the role mapped as the README's role table says, the grant's `livekit` rights.
 */
export function liveKitPlatform(signer: LiveKitSigner): LiveKitTokenPlatform {
  return {
    tokenName: 'livekit',
    addressedBy: 'room',
    maxTtlSeconds: LIVEKIT_MAX_TTL_SECONDS,
    defaultTtlSeconds: LIVEKIT_DEFAULT_TTL_SECONDS,
    url: signer.url,
    issue: (input) =>
      signer.sign({
        identity: input.identity.id,
        room: input.target,
        role: input.role,
        ...(input.grant.livekit !== undefined && { grant: input.grant.livekit }),
        ttlSeconds: input.ttlSeconds,
      }),
  };
}

// LiveKit's standard token endpoint: https://docs.livekit.io/frontends/build/authentication/endpoint/
const text = (field: string, max: number) =>
  v.optional(
    v.pipe(
      v.string(`${field} must be a string`),
      v.maxLength(max, `${field} must be at most ${max} characters`),
      v.check((value) => !hasControlCharacter(value), `${field} must not contain control characters`),
    ),
  );
const EndpointBodySchema = v.strictObject(
  {
    room_name: v.optional(
      v.pipe(
        v.string('room_name must be a string'),
        v.regex(
          NAME_PATTERN,
          'room_name must be 1-128 characters of A-Z a-z 0-9 . _ - starting with a letter or digit',
        ),
      ),
    ),
    participant_identity: v.optional(v.string('participant_identity must be a string')),
    participant_name: v.optional(
      v.pipe(
        text('participant_name', MAX_NAME_LENGTH),
        v.check((name) => name !== '', 'participant_name must not be empty'),
      ),
    ),
    participant_metadata: text('participant_metadata', LIVEKIT_MAX_METADATA_LENGTH),
    participant_attributes: v.optional(
      v.custom<Record<string, string>>(
        isAttributes,
        `participant_attributes must be at most ${MAX_ATTRIBUTES} string values under keys of 1-${MAX_ATTRIBUTE_KEY_LENGTH} characters`,
      ),
    ),
    room_config: v.optional(
      v.custom<Record<string, unknown>>(
        isRoomConfig,
        `room_config must be an object of at most ${MAX_ROOM_CONFIG_BYTES} bytes of JSON`,
      ),
    ),
  },
  'unknown field',
);

/** The body fields a client sets only when the grant's `livekit.clientMay` says so. */
const CLIENT_FIELDS = {
  participant_name: 'name',
  participant_metadata: 'metadata',
  participant_attributes: 'attributes',
  room_config: 'roomConfig',
} as const;

/**
 * The room configuration a client may send: agents to dispatch, what LiveKit's client SDKs send
 * (`agentName`, `agentMetadata`, `deployment`). The rest of LiveKit's room configuration is the
 * app's to grant: `egress` records or streams the room to a destination of the sender's choosing
 * (the recording right roomkey never gives), and the room's options (`name`, `max_participants`,
 * timeouts, `metadata`…) hold for everyone in the room.
 */
function checkClientRoomConfig(roomConfig: Readonly<Record<string, unknown>>): void {
  for (const key of Object.keys(roomConfig)) {
    if (key !== 'agents') {
      throw new HttpProblem('forbidden', 'room_config from a client may only name agents to dispatch (agents).');
    }
  }
}

/**
 * Attributes a client may send: none under LiveKit's reserved `lk.` prefix, which LiveKit's
 * agents and UIs read (`lk.agent.state`, `lk.publish_on_behalf`): a client must not pose as an
 * agent or publish on another's behalf. The app's own `grant.livekit.attributes` may set them.
 */
function checkClientAttributes(attributes: Readonly<Record<string, unknown>>): void {
  for (const key of Object.keys(attributes)) {
    if (key.startsWith('lk.')) {
      throw new HttpProblem(
        'forbidden',
        "participant_attributes from a client may not use LiveKit's reserved lk. prefix.",
      );
    }
  }
}

/**
 * `livekit`: LiveKit's standard token endpoint, which every LiveKit client SDK calls
 * (`TokenSource.endpoint(url)`): `POST { room_name, participant_identity, participant_name,
 * participant_metadata, participant_attributes, room_config }` → `201 { server_url,
 * participant_token }`. The identity is the signed-in user's (another one: 403); the room must
 * be granted (403); a name, metadata, attributes or room configuration the grant's
 * `livekit.clientMay` does not allow is 403, and so is a client's room configuration that does
 * more than dispatch agents, or a client's attribute under LiveKit's reserved `lk.` prefix.
 */
export const LIVEKIT_ROUTE: PlatformRoute = {
  path: '/livekit-token',
  tokenName: 'livekit',
  needs: 'LiveKit credentials with the server URL: livekit: { apiKey, apiSecret, url }',
  status: 201,
  userIdField: 'participant_identity',
  checkPlatform(platform) {
    if ((platform as Partial<LiveKitTokenPlatform>).url === undefined) {
      throw new TypeError("LiveKit's token endpoint answers with the server URL: set livekit.url (LIVEKIT_URL)");
    }
  },
  parse(body) {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new HttpProblem('invalid_request', 'The request body must be a JSON object.');
    }
    const result = v.safeParse(EndpointBodySchema, body);
    if (!result.success) throw new HttpProblem('invalid_request', describeIssues(result.issues));
    const parsed = result.output;
    if (parsed.room_name === undefined) {
      throw new HttpProblem('invalid_request', 'Invalid token request: room_name is required.');
    }
    return {
      request: { room: parsed.room_name },
      ...(parsed.participant_identity !== undefined && { userId: parsed.participant_identity }),
      extra: parsed,
    };
  },
  narrow(grant: Grant, _role, parsed) {
    const body = parsed.extra as v.InferOutput<typeof EndpointBodySchema>;
    const allowed = grant.livekit?.clientMay ?? {};
    let livekit: LiveKitGrant = grant.livekit ?? {};
    for (const [field, name] of Object.entries(CLIENT_FIELDS)) {
      const value = body[field as keyof typeof CLIENT_FIELDS];
      if (value === undefined) continue;
      if (allowed[name] !== true) {
        throw new HttpProblem('forbidden', `You may not set ${field}: your grant does not allow it.`);
      }
      if (field === 'room_config') checkClientRoomConfig(value as Record<string, unknown>);
      if (field === 'participant_attributes') checkClientAttributes(value as Record<string, unknown>);
      livekit = { ...livekit, [name]: value };
    }
    return { ...grant, livekit };
  },
  success: (result, _parsed, platform) => ({
    server_url: (platform as LiveKitTokenPlatform).url,
    participant_token: result.tokens.livekit?.token,
  }),
};

/**
 * LiveKit: option `livekit: { apiKey, apiSecret, url? }` (or a signer from
 * {@link createLiveKitSigner}); a `room` gets a `livekit` token; LiveKit's standard token endpoint
 * (route `livekit`, which needs `url`). Grant fields: `rooms`, `livekit`.
 */
export const liveKitDefinition: RoomkeyPlatform<LiveKitSigner | LiveKitOptions, 'livekit', 'livekit'> = {
  option: 'livekit',
  title: 'LiveKit',
  configure: 'livekit: { apiKey, apiSecret, url? }',
  tokenNames: ['livekit'],
  requestFields: { room: ROOM_FIELD },
  grantFields: { rooms: ROOMS_FIELD, livekit: LIVEKIT_GRANT_FIELD },
  routes: { livekit: LIVEKIT_ROUTE },
  create: (value, { clock }) => [liveKitPlatform(signerFrom(value, createLiveKitSigner, clock))],
  // LiveKit's own variable names.
  env: {
    variables: ['LIVEKIT_API_KEY', 'LIVEKIT_API_SECRET', 'LIVEKIT_URL'],
    read(env) {
      const apiKey = envValue(env, 'LIVEKIT_API_KEY');
      const apiSecret = envValue(env, 'LIVEKIT_API_SECRET');
      const url = envValue(env, 'LIVEKIT_URL');
      requirePair('LIVEKIT_API_KEY', apiKey, 'LIVEKIT_API_SECRET', apiSecret);
      if (apiKey === undefined || apiSecret === undefined) {
        if (url !== undefined) throw new Error('LIVEKIT_URL is set but LIVEKIT_API_KEY and LIVEKIT_API_SECRET are not');
        return undefined;
      }
      return createdFromEnv(
        () => createLiveKitSigner({ apiKey, apiSecret, ...(url !== undefined && { url }) }),
        { 'livekit.apiKey': 'LIVEKIT_API_KEY', livekit: 'LIVEKIT_*' },
        'LIVEKIT_*',
      );
    },
  },
  explain: (token, { env, now, fallback }) =>
    fallback || token.header === undefined || token.claims === undefined
      ? undefined
      : explainLiveKitToken({ token: token.token, header: token.header, claims: token.claims }, env, now),
};

const check = (rule: string, ok: boolean, passed: string, failed: string): TokenCheck => ({
  rule,
  status: ok ? 'pass' : 'fail',
  message: ok ? passed : failed,
});
const at = (seconds: unknown) =>
  typeof seconds === 'number' && Number.isFinite(seconds) && seconds < 1e11
    ? new Date(seconds * 1000).toISOString()
    : 'not a number of seconds';

const VIDEO_MEANINGS: Readonly<Record<string, string>> = {
  room: 'the room the token opens',
  roomJoin: 'may join the room',
  canPublish: 'may publish tracks (LiveKit reads it absent as true)',
  canSubscribe: "may subscribe to others' tracks (LiveKit reads it absent as true)",
  canPublishData: 'may send data messages (LiveKit reads it absent as canPublish)',
  canPublishSources: 'may publish only these sources',
  canUpdateOwnMetadata: 'may change its own name, metadata and attributes',
  roomAdmin: 'may moderate the room: remove and mute others',
  hidden: 'invisible to the other participants',
  roomCreate: 'may create and delete rooms (roomkey never writes it)',
  roomList: 'may list rooms (roomkey never writes it)',
  roomRecord: 'may record rooms (roomkey never writes it)',
  ingressAdmin: 'may manage ingress (roomkey never writes it)',
};

/**
 * `roomkey inspect` for a LiveKit access token (a `video` grant object): each claim and right in
 * words, and LiveKit's rules: HS256, the signature (with LIVEKIT_API_SECRET), `iss` (with
 * LIVEKIT_API_KEY), `nbf` and `exp`, and the join grant; rights written out or read as granted.
 */
export async function explainLiveKitToken(
  decoded: Required<DecodedToken>,
  env: Readonly<Record<string, string | undefined>>,
  now: number,
): Promise<TokenReport | undefined> {
  const { header, claims, token } = decoded;
  const video = claims.video;
  if (typeof video !== 'object' || video === null || Array.isArray(video)) return undefined;
  const grant = video as Record<string, unknown>;
  const seconds = Math.floor(now / 1000);
  const apiKey = env.LIVEKIT_API_KEY || undefined;
  const apiSecret = env.LIVEKIT_API_SECRET || undefined;
  const checks: TokenCheck[] = [
    check(
      'algorithm',
      header.alg === 'HS256',
      'HS256, as LiveKit signs',
      `signed with ${String(header.alg)}; LiveKit accepts HS256`,
    ),
  ];
  if (apiSecret === undefined) {
    checks.push({ rule: 'signature', status: 'skip', message: 'NOT CHECKED: set LIVEKIT_API_SECRET to check it' });
  } else {
    let valid: boolean;
    try {
      // Only the signature is judged here: the time rules are reported on their own.
      await jwtVerify(token, Buffer.from(apiSecret, 'utf8'), { algorithms: ['HS256'], currentDate: new Date(0) });
      valid = true;
    } catch (error) {
      valid = (error as { code?: string }).code === 'ERR_JWT_CLAIM_VALIDATION_FAILED';
    }
    checks.push(
      check(
        'signature',
        valid,
        'HMAC-SHA256 with LIVEKIT_API_SECRET',
        'the signature does not match LIVEKIT_API_SECRET: the token was made with another API secret',
      ),
    );
  }
  if (apiKey !== undefined) {
    checks.push(
      check(
        'issuer',
        claims.iss === apiKey,
        'iss is LIVEKIT_API_KEY',
        'iss is not LIVEKIT_API_KEY: LiveKit looks the secret up by iss',
      ),
    );
  }
  const exp = claims.exp;
  checks.push(
    check(
      'expiry',
      typeof exp === 'number' && exp > seconds,
      `expires ${at(exp)} (LiveKit checks it when a participant connects)`,
      exp === undefined ? 'the token has no exp claim: LiveKit refuses it' : `exp is ${at(exp)}: ask for a new token`,
    ),
    check(
      'not before',
      claims.nbf === undefined || (typeof claims.nbf === 'number' && claims.nbf <= seconds + 10),
      claims.nbf === undefined ? 'no nbf: valid from the start' : `valid from ${at(claims.nbf)}`,
      `nbf is ${at(claims.nbf)}: not valid yet`,
    ),
    check(
      'join',
      grant.roomJoin === true && typeof grant.room === 'string' && typeof claims.sub === 'string',
      `may join room "${String(grant.room)}" as "${String(claims.sub)}"`,
      'a join token needs video.roomJoin: true, video.room and sub (the identity)',
    ),
    check(
      'rights written out',
      ['canPublish', 'canSubscribe', 'canPublishData'].every((right) => typeof grant[right] === 'boolean'),
      'canPublish, canSubscribe and canPublishData are each written out',
      'a publish, subscribe or data right is absent, and LiveKit reads it as granted: write false to refuse it',
    ),
  );
  const explained = Object.entries(claims).flatMap(([claim, value]) =>
    claim === 'video'
      ? Object.entries(grant).map(([right, given]) => ({
          claim: `video.${right}`,
          value: given,
          meaning: VIDEO_MEANINGS[right] ?? 'not a right roomkey knows',
        }))
      : [
          {
            claim,
            value,
            meaning:
              {
                iss: 'the API key (LiveKit finds the secret by it)',
                sub: 'the participant identity',
                nbf: `valid from ${at(value)}`,
                exp: `expiry: ${at(value)}`,
                name: 'the display name',
                metadata: 'participant metadata, visible to the room',
                attributes: 'participant attributes, visible to the room',
                roomConfig: 'the room configuration (agent dispatch…)',
              }[claim] ?? 'not a LiveKit claim',
          },
        ],
  );
  const signatureChecked = apiSecret !== undefined;
  const refused = checks.some((entry) => entry.status === 'fail');
  return {
    kind: 'livekit',
    title: 'LiveKit access token',
    header: { ...header },
    claims: { ...claims },
    explained,
    expiresAt: typeof exp === 'number' && exp < 1e11 ? new Date(exp * 1000).toISOString() : undefined,
    signatureChecked,
    checks,
    verdict: refused ? 'refused' : signatureChecked ? 'accepted' : 'unverified',
  };
}
