import { createHmac, createSecretKey, randomInt, randomUUID } from 'node:crypto';
import { stringify } from 'node:querystring';
import { type Clock, epochSeconds, resolveClock } from '../clock.js';
import { createdFromEnv, envValue, requirePair } from '../env.js';
import { RoomkeyError } from '../errors.js';
import { createHs256Signer } from '../jws.js';
import { rejectUnknownOptions } from '../options.js';
import { type RoomkeyPlatform, signerFrom } from '../platform.js';
import { checkSecretCharacters } from '../secret.js';
import { explainOpenTokJwt, explainOpenTokT1 } from './opentok-explain.js';
import type { SignedToken } from './red5pro.js';
import {
  checkVonageInput,
  VONAGE_GRANT_FIELDS,
  VONAGE_SESSION_FIELD,
  type VonageRole,
  type VonageTokenInput,
  vonagePlatform,
} from './vonage.js';

export interface OpenTokSignerOptions {
  /** The OpenTok project's API key (digits). */
  readonly apiKey: string | undefined;
  /** The project's API secret, as shown in the Vonage (TokBox) dashboard. */
  readonly apiSecret: string | undefined;
  readonly clock?: Clock;
}

export interface OpenTokTokenInput extends VonageTokenInput {
  /** `jwt` (default): the HS256 JWT current opentok SDKs emit. `t1`: the legacy `T1==` token. */
  readonly format?: 'jwt' | 't1';
}

/** The token data both formats carry, in the order opentok writes it. */
export interface OpenTokTokenData {
  readonly session_id: string;
  readonly create_time: number;
  readonly nonce: number;
  readonly role: VonageRole;
  readonly expire_time: number;
  readonly connection_data?: string;
  readonly initial_layout_class_list: string;
  readonly scope: 'session.connect';
}

export interface OpenTokJwtClaims extends OpenTokTokenData {
  readonly iss: string;
  readonly ist: 'project';
  readonly iat: number;
  readonly exp: number;
  readonly jti: string;
}

export interface OpenTokSigner {
  readonly apiKey: string;
  sign(input: OpenTokTokenInput): Promise<SignedToken<OpenTokJwtClaims | OpenTokTokenData>>;
  /** Throws `invalid_claim` unless the session id was created for this API key. */
  checkSession(sessionId: string): void;
}

/**
 * Creates a signer for legacy OpenTok projects (API key and secret): the HS256 JWT current
 * opentok SDKs emit, or on request the `T1==` format. The session id must belong to the API key.
 *
 * @example
 * const opentok = createOpenTokSigner({ apiKey: process.env.OPENTOK_API_KEY, apiSecret: process.env.OPENTOK_API_SECRET });
 * const { token } = await opentok.sign({ sessionId, role: 'subscriber', format: 't1' });
 */
export function createOpenTokSigner(options: OpenTokSignerOptions): OpenTokSigner {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('createOpenTokSigner(options): options must be an object with apiKey and apiSecret');
  }
  rejectUnknownOptions(options, ['apiKey', 'apiSecret', 'clock'], 'opentok');
  const { apiKey, apiSecret } = options;
  for (const [name, value] of Object.entries({ apiKey, apiSecret })) {
    if (value === undefined) {
      throw new TypeError(`${name} is missing: the OpenTok project's, from the environment (such as OPENTOK_API_KEY)`);
    }
  }
  if (typeof apiKey !== 'string' || !/^[0-9]{1,32}$/.test(apiKey)) {
    throw new TypeError('apiKey must be the OpenTok project API key (digits)');
  }
  if (typeof apiSecret === 'string') checkSecretCharacters(apiSecret, 'apiSecret');
  if (typeof apiSecret !== 'string' || apiSecret.length < 32 || !/^[\x21-\x7e]+$/.test(apiSecret)) {
    throw new TypeError('apiSecret must be the OpenTok project API secret (at least 32 visible ASCII characters)');
  }
  const signJwt = createHs256Signer(createSecretKey(Buffer.from(apiSecret, 'utf8')));
  const clock = resolveClock(options.clock);

  const checkSession = (sessionId: string) => {
    if (sessionApiKey(sessionId) !== apiKey) {
      throw new RoomkeyError('invalid_claim', 'the session id does not belong to this API key');
    }
  };
  return {
    apiKey,
    checkSession,
    async sign(input) {
      const checked = checkVonageInput(input, epochSeconds(clock));
      checkSession(checked.sessionId);
      const data: OpenTokTokenData = {
        session_id: checked.sessionId,
        create_time: checked.now,
        nonce: randomInt(0, 2 ** 48 - 1),
        role: checked.role,
        expire_time: checked.exp,
        ...(checked.data !== undefined && { connection_data: checked.data }),
        initial_layout_class_list: checked.layout,
        scope: 'session.connect',
      };
      const expiresAt = new Date(checked.exp * 1000);
      const format = input.format ?? 'jwt';
      if (format === 't1') return { token: encodeT1(data, apiKey, apiSecret), expiresAt, claims: data };
      if (format !== 'jwt') throw new RoomkeyError('invalid_claim', "format must be 'jwt' or 't1'");
      const claims: OpenTokJwtClaims = {
        iss: apiKey,
        ist: 'project',
        iat: checked.now,
        exp: checked.exp,
        ...data,
        jti: randomUUID(),
      };
      return { token: signJwt(claims), expiresAt, claims };
    },
  };
}

/** The API key a session id was created for: the second `~` field of its base64 body. */
export function sessionApiKey(sessionId: string): string | undefined {
  const body = sessionId.slice(2).replace(/-/g, '+').replace(/_/g, '/');
  return Buffer.from(body, 'base64').toString('latin1').split('~')[1];
}

/** `T1==` + base64(`partner_id=KEY&sig=HEX(HMAC-SHA1(secret, data)):` + data). */
function encodeT1(data: OpenTokTokenData, apiKey: string, apiSecret: string): string {
  const encoded = stringify(data as unknown as Record<string, string | number>);
  const signature = createHmac('sha1', apiSecret).update(encoded).digest('hex');
  return `T1==${Buffer.from(`partner_id=${apiKey}&sig=${signature}:${encoded}`, 'utf8').toString('base64')}`;
}

/**
 * Legacy OpenTok projects: option `opentok` (a signer from {@link createOpenTokSigner}, or its
 * options); a `session` gets a `vonage` token, as with Vonage Video.
 */
export const openTokDefinition: RoomkeyPlatform<OpenTokSigner | OpenTokSignerOptions, 'opentok'> = {
  option: 'opentok',
  title: 'OpenTok',
  configure: 'opentok: { apiKey, apiSecret }',
  tokenNames: ['vonage'],
  requestFields: { session: VONAGE_SESSION_FIELD },
  grantFields: VONAGE_GRANT_FIELDS,
  create: (value, { clock }) => [vonagePlatform(signerFrom(value, createOpenTokSigner, clock))],
  env: {
    variables: ['OPENTOK_API_KEY', 'OPENTOK_API_SECRET'],
    read(env) {
      const apiKey = envValue(env, 'OPENTOK_API_KEY');
      const apiSecret = envValue(env, 'OPENTOK_API_SECRET');
      requirePair('OPENTOK_API_KEY', apiKey, 'OPENTOK_API_SECRET', apiSecret);
      if (apiKey === undefined || apiSecret === undefined) return undefined;
      return createdFromEnv(
        () => createOpenTokSigner({ apiKey, apiSecret }),
        { apiKey: 'OPENTOK_API_KEY', apiSecret: 'OPENTOK_API_SECRET' },
        'OPENTOK_*',
      );
    },
  },
  explain({ token, header, claims }, { env, now, fallback }) {
    if (fallback) return undefined;
    if (token.startsWith('T1==')) return explainOpenTokT1(token, env, now);
    const isOpenTok =
      claims !== undefined &&
      !('application_id' in claims) &&
      (claims.ist === 'project' || (claims.scope === 'session.connect' && 'session_id' in claims));
    return isOpenTok && header !== undefined ? explainOpenTokJwt({ token, header, claims }, env, now) : undefined;
  },
};
