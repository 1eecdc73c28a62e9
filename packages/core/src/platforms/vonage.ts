import { createPrivateKey, type KeyObject, randomUUID, sign as signAsync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import pLimit from 'p-limit';
import { type Clock, epochSeconds, resolveClock } from '../clock.js';
import { createdFromEnv, envValue, requirePair } from '../env.js';
import { RoomkeyError } from '../errors.js';
import { targetField, targetListField, textField } from '../fields.js';
import { rejectUnknownOptions } from '../options.js';
import {
  type IssuedToken,
  type PlatformIssueInput,
  type RoomkeyPlatform,
  signerFrom,
  type TokenPlatform,
} from '../platform.js';
import type { Role } from '../roles.js';
import type { SignedToken } from './red5pro.js';
import { explainVonageToken } from './vonage-explain.js';

/** Roles as Vonage writes them on the wire. */
export const VONAGE_ROLES = ['subscriber', 'publisher', 'publisheronly', 'moderator'] as const;
export type VonageRole = (typeof VONAGE_ROLES)[number];

/** How roomkey roles map onto Vonage's `role` claim (the role table in the README). */
export const VONAGE_ROLE_MAP: Readonly<Record<Role, VonageRole>> = Object.freeze({
  subscriber: 'subscriber',
  'publisher-only': 'publisheronly',
  publisher: 'publisher',
  moderator: 'moderator',
});

/** Vonage's documented limits. */
export const VONAGE_DEFAULT_TTL_SECONDS = 24 * 60 * 60;
export const VONAGE_MAX_TTL_SECONDS = 30 * 24 * 60 * 60;
export const VONAGE_MAX_DATA_LENGTH = 1000;
const MAX_LAYOUT_LENGTH = 1024;
const MIN_RSA_BITS = 2048;

/**
 * A plausible session id: a one-digit format prefix, `_`, then URL-safe base64 (what Vonage's
 * session ids look like, e.g. `1_MX4…` or `2_MX4…`).
 */
export const VONAGE_SESSION_PATTERN = /^[0-9]_[A-Za-z0-9_-]{4,1022}$/;

export interface VonageTokenInput {
  readonly sessionId: string;
  /** `subscriber`, `publisher`, `publisher-only` (written `publisheronly`) or `moderator`. */
  readonly role: VonageRole | 'publisher-only';
  /** Connection data, at most 1000 characters; visible to everyone in the session. */
  readonly data?: string;
  readonly initialLayoutClassList?: readonly string[];
  /** Lifetime in seconds (default 24 h, at most 30 days). Give this or `expireTime`. */
  readonly ttlSeconds?: number;
  /** Absolute expiry in epoch seconds, strictly in the future and at most 30 days ahead. */
  readonly expireTime?: number;
}

/** Shared by the Vonage and the OpenTok signer: checked values, ready for the claims. */
export interface CheckedVonageInput {
  readonly sessionId: string;
  readonly role: VonageRole;
  readonly data: string | undefined;
  readonly layout: string;
  readonly now: number;
  readonly exp: number;
}

/** Applies the checks Vonage documents but its SDK leaves out; each refusal is `invalid_claim`. */
export function checkVonageInput(input: VonageTokenInput, now: number): CheckedVonageInput {
  if (typeof input !== 'object' || input === null) {
    throw new RoomkeyError('invalid_claim', 'sign(input): input must be an object with sessionId and role');
  }
  const { sessionId, data, initialLayoutClassList, ttlSeconds, expireTime } = input;
  if (typeof sessionId !== 'string' || !VONAGE_SESSION_PATTERN.test(sessionId)) {
    throw new RoomkeyError('invalid_claim', 'sessionId is not a Vonage session id (digit, "_", URL-safe base64)');
  }
  const role = input.role === 'publisher-only' ? 'publisheronly' : input.role;
  if (!(VONAGE_ROLES as readonly unknown[]).includes(role)) {
    throw new RoomkeyError('invalid_claim', 'role must be subscriber, publisher, publisher-only or moderator');
  }
  if (data !== undefined && (typeof data !== 'string' || data.length > VONAGE_MAX_DATA_LENGTH)) {
    throw new RoomkeyError('invalid_claim', `data must be a string of at most ${VONAGE_MAX_DATA_LENGTH} characters`);
  }
  let layout = '';
  if (initialLayoutClassList !== undefined) {
    if (
      !Array.isArray(initialLayoutClassList) ||
      initialLayoutClassList.some((name) => typeof name !== 'string' || !/^[A-Za-z0-9_-]+$/.test(name))
    ) {
      throw new RoomkeyError('invalid_claim', 'initialLayoutClassList must hold CSS class names (A-Z a-z 0-9 _ -)');
    }
    layout = initialLayoutClassList.join(' ');
    if (layout.length > MAX_LAYOUT_LENGTH) {
      throw new RoomkeyError(
        'invalid_claim',
        `initialLayoutClassList may join to at most ${MAX_LAYOUT_LENGTH} characters`,
      );
    }
  }
  return {
    sessionId,
    role: role as VonageRole,
    data: data || undefined,
    layout,
    now,
    exp: expiry(now, ttlSeconds, expireTime),
  };
}

function expiry(now: number, ttlSeconds: number | undefined, expireTime: number | undefined): number {
  if (ttlSeconds !== undefined && expireTime !== undefined) {
    throw new RoomkeyError('invalid_claim', 'give ttlSeconds or expireTime, not both');
  }
  if (expireTime !== undefined) {
    if (!Number.isInteger(expireTime) || expireTime <= now) {
      throw new RoomkeyError('invalid_claim', 'expireTime must be whole epoch seconds strictly in the future');
    }
    if (expireTime - now > VONAGE_MAX_TTL_SECONDS) {
      throw new RoomkeyError('invalid_claim', 'expireTime may lie at most 30 days ahead');
    }
    return expireTime;
  }
  const ttl = ttlSeconds ?? VONAGE_DEFAULT_TTL_SECONDS;
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > VONAGE_MAX_TTL_SECONDS) {
    throw new RoomkeyError('invalid_claim', 'ttlSeconds must be a whole number of seconds from 1 to 30 days');
  }
  return now + ttl;
}

export interface VonageVideoSignerOptions {
  /** The Vonage application id (a UUID). */
  readonly applicationId: string | undefined;
  /** The application's RSA private key: PEM text (PKCS#8 or PKCS#1) or the path of a PEM file. */
  readonly privateKey: string | undefined;
  readonly clock?: Clock;
  /**
   * How many RSA signatures may run on libuv's thread pool at once; more requests wait their
   * turn in order. Default {@link defaultRsaConcurrency}: one more than the machine's cores, and
   * one pool thread always left for file system and DNS work.
   */
  readonly concurrency?: number;
}

/**
 * The default for `concurrency`: one more than the number of cores, at most the size of libuv's
 * thread pool (`UV_THREADPOOL_SIZE`, default 4) minus one, and at least 1.
 *
 * Why: with every pool thread signing and 100 tokens queued, a 2-core machine saw a 9–12 ms
 * event-loop p99 delay (the RSA threads crowd out the loop's thread), and a `dns.lookup` or an
 * `fs` call waited behind every queued signature. A few at a time keeps the loop's p99 under
 * 2 ms there; one more than the cores keeps each core busy while the loop hands the next
 * signature to a thread (3 at once signed 10–25 % faster than 2 on 2 cores; bench/, section 3).
 */
export function defaultRsaConcurrency(): number {
  const configured = Number.parseInt(process.env.UV_THREADPOOL_SIZE ?? '', 10);
  const poolSize = Number.isInteger(configured) && configured > 0 ? Math.min(configured, 1024) : 4;
  return Math.max(1, Math.min(availableParallelism() + 1, poolSize - 1));
}

/** Checks the `concurrency` option and returns the limiter for a signer's RSA jobs. */
function rsaLimiter(concurrency: unknown = defaultRsaConcurrency()) {
  if (typeof concurrency !== 'number' || !Number.isInteger(concurrency) || concurrency < 1) {
    throw new TypeError('concurrency must be a positive integer: how many RSA signatures may run at once');
  }
  return pLimit(concurrency);
}

/** The claims of a Vonage Video client token, in the order Vonage's SDK writes them. */
export interface VonageVideoClaims {
  readonly scope: 'session.connect';
  readonly session_id: string;
  readonly role: VonageRole;
  readonly initial_layout_class_list: string;
  readonly exp: number;
  readonly sub: 'video';
  readonly acl: { readonly paths: { readonly '/session/**': Record<string, never> } };
  readonly connection_data?: string;
  readonly jti: string;
  readonly iat: number;
  readonly application_id: string;
}

export interface VonageVideoSigner {
  readonly applicationId: string;
  sign(input: VonageTokenInput): Promise<SignedToken<VonageVideoClaims>>;
}

const RS256_HEADER = Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'JWT' })).toString('base64url');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Creates a Vonage Video client-token signer (RS256 with the application's private key). The
 * key is parsed and checked once, here; each token's RSA work runs on libuv's thread pool so
 * the event loop stays free.
 *
 * @example
 * const vonage = createVonageVideoSigner({ applicationId: process.env.VONAGE_APPLICATION_ID, privateKey: './private.key' });
 * const { token } = await vonage.sign({ sessionId, role: 'publisher', ttlSeconds: 3600 });
 */
export function createVonageVideoSigner(options: VonageVideoSignerOptions): VonageVideoSigner {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(
      'createVonageVideoSigner(options): options must be an object with applicationId and privateKey',
    );
  }
  rejectUnknownOptions(options, ['applicationId', 'privateKey', 'clock', 'concurrency'], 'vonage');
  const { applicationId } = options;
  for (const [name, value] of Object.entries({ applicationId, privateKey: options.privateKey })) {
    if (value === undefined) {
      throw new TypeError(
        `${name} is missing: the Vonage application's, from the environment (such as VONAGE_APPLICATION_ID)`,
      );
    }
  }
  if (typeof applicationId !== 'string' || !UUID.test(applicationId)) {
    throw new TypeError('applicationId must be the Vonage application id, a UUID from the Vonage dashboard');
  }
  const key = loadRsaPrivateKey(options.privateKey, 'privateKey');
  const clock = resolveClock(options.clock);
  const limit = rsaLimiter(options.concurrency);

  return {
    applicationId,
    async sign(input) {
      const checked = checkVonageInput(input, epochSeconds(clock));
      const claims: VonageVideoClaims = {
        scope: 'session.connect',
        session_id: checked.sessionId,
        role: checked.role,
        initial_layout_class_list: checked.layout,
        exp: checked.exp,
        sub: 'video',
        acl: { paths: { '/session/**': {} } },
        ...(checked.data !== undefined && { connection_data: checked.data }),
        jti: randomUUID(),
        iat: checked.now,
        application_id: applicationId,
      };
      const signingInput = `${RS256_HEADER}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
      const signature = await limit(rsaSha256, signingInput, key);
      return {
        token: `${signingInput}.${signature.toString('base64url')}`,
        expiresAt: new Date(claims.exp * 1000),
        claims,
      };
    },
  };
}

function rsaSha256(data: string, key: KeyObject): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    signAsync('sha256', Buffer.from(data), key, (error, signature) => (error ? reject(error) : resolve(signature)));
  });
}

/**
 * Parses an RSA private key from PEM text or a PEM file once, refusing anything under 2048
 * bits. Messages name the option, never the key material.
 */
export function loadRsaPrivateKey(value: unknown, option: string): KeyObject {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new TypeError(`${option} must be PEM text or the path of a PEM file holding the RSA private key`);
  }
  let pem = value;
  if (!value.includes('-----BEGIN')) {
    try {
      pem = readFileSync(value, 'utf8');
    } catch (error) {
      throw new TypeError(
        `${option} is neither PEM text nor a readable file (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`,
      );
    }
  }
  // A key pasted into a .env file often arrives on one line with literal `\n` escapes.
  if (!pem.includes('\n') && pem.includes('\\n')) pem = pem.replaceAll('\\n', '\n');
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    throw new TypeError(
      `${option} is not a PEM private key (PKCS#8 "BEGIN PRIVATE KEY" or PKCS#1 "BEGIN RSA PRIVATE KEY")`,
    );
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw new TypeError(`${option} must be an RSA key; this one is ${key.asymmetricKeyType ?? 'of another type'}`);
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_RSA_BITS) {
    throw new TypeError(`${option} is a ${bits}-bit RSA key; at least ${MIN_RSA_BITS} bits are required`);
  }
  return key;
}

/** Signs a Vonage Video or OpenTok token; both platforms answer `session` as `vonage`. */
export interface SessionTokenSigner {
  sign(input: VonageTokenInput): Promise<IssuedToken>;
  /** Throws `invalid_claim` for a session id this signer cannot sign for (another project's). */
  checkSession?(sessionId: string): void;
}

/**
 * The Vonage Video token platform for the issuing pipeline: a `session` request gets a
 * `vonage` token with the role mapped as the README's role table says and connection data from the grant only.
 */
export function vonagePlatform(signer: SessionTokenSigner): TokenPlatform<IssuedToken> {
  return {
    tokenName: 'vonage',
    addressedBy: 'session',
    maxTtlSeconds: VONAGE_MAX_TTL_SECONDS,
    defaultTtlSeconds: VONAGE_DEFAULT_TTL_SECONDS,
    ...(signer.checkSession !== undefined && { checkTarget: (session: string) => signer.checkSession?.(session) }),
    async issue(input: PlatformIssueInput) {
      const { token, expiresAt } = await signer.sign({
        sessionId: input.target,
        role: VONAGE_ROLE_MAP[input.role],
        ttlSeconds: input.ttlSeconds,
        ...(input.grant.connectionData !== undefined && { data: input.grant.connectionData }),
      });
      return { token, expiresAt };
    },
  };
}

/** `session` in a request: the Vonage (or OpenTok) session a `vonage` token joins. */
export const VONAGE_SESSION_FIELD = targetField(
  'session',
  VONAGE_SESSION_PATTERN,
  'sessions',
  'session must be a Vonage session id (a digit, "_", then URL-safe base64)',
);

/** The grant fields Vonage Video and OpenTok read: `sessions`, and `connectionData`. */
export const VONAGE_GRANT_FIELDS = {
  sessions: targetListField('sessions', VONAGE_SESSION_PATTERN),
  /** Connection data, visible to everyone in the session: only the grant sets it, never the request. */
  connectionData: textField('connectionData', VONAGE_MAX_DATA_LENGTH),
};

/**
 * Vonage Video: option `vonage` (a signer from {@link createVonageVideoSigner}, or its options);
 * a `session` gets a `vonage` token. Grant fields: `sessions`, `connectionData`.
 */
export const vonageDefinition: RoomkeyPlatform<VonageVideoSigner | VonageVideoSignerOptions, 'vonage'> = {
  option: 'vonage',
  title: 'Vonage Video',
  configure: 'vonage: { applicationId, privateKey }',
  tokenNames: ['vonage'],
  requestFields: { session: VONAGE_SESSION_FIELD },
  grantFields: VONAGE_GRANT_FIELDS,
  create: (value, { clock }) => [vonagePlatform(signerFrom(value, createVonageVideoSigner, clock))],
  env: {
    variables: ['VONAGE_APPLICATION_ID', 'VONAGE_PRIVATE_KEY'],
    read(env) {
      const applicationId = envValue(env, 'VONAGE_APPLICATION_ID');
      const privateKey = envValue(env, 'VONAGE_PRIVATE_KEY');
      requirePair('VONAGE_APPLICATION_ID', applicationId, 'VONAGE_PRIVATE_KEY', privateKey);
      if (applicationId === undefined || privateKey === undefined) return undefined;
      // PEM text (`\n` escapes as .env files carry them) or a file path: the key loader reads either.
      return createdFromEnv(
        () => createVonageVideoSigner({ applicationId, privateKey }),
        { applicationId: 'VONAGE_APPLICATION_ID', privateKey: 'VONAGE_PRIVATE_KEY' },
        'VONAGE_*',
      );
    },
  },
  explain: ({ token, header, claims }, { env, now, fallback }) =>
    !fallback && header !== undefined && claims?.scope === 'session.connect' && 'application_id' in claims
      ? explainVonageToken({ token, header, claims }, env, now)
      : undefined,
};
