import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createLiveKitSigner,
  createOpenTokSigner,
  createRed5CloudClient,
  createRed5ProSigner,
  createVonageVideoSigner,
  generateSecret,
  turnDefinition,
} from '@roomkey/core';
import { loadRed5ProMedia } from './demo-page.js';

/** Where the embedded default keeps its generated secret: git-ignored, owner-only. */
export const DEFAULT_DEV_SECRET_FILE = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '../../.roomkey/red5pro-dev-secret',
);

/**
 * Reads the example server's configuration from the environment. Every mistake throws an
 * Error whose message says which variable to fix; the secret is never part of a message.
 *
 * PORT (default 3000), HOST (default 127.0.0.1), RED5PRO_JWT_SECRET, RED5PRO_JWT_ISSUER,
 * RED5PRO_JWT_TTL_MINUTES (the Red5 Pro server's jwtTtlMinutes, default 60); optionally
 * VONAGE_APPLICATION_ID with VONAGE_PRIVATE_KEY (PEM text or a path), or OPENTOK_API_KEY with
 * OPENTOK_API_SECRET for legacy projects; RED5_MASTER_KEY with RED5_MASTER_SECRET for Red5
 * Cloud, and PUBNUB_ORIGIN (host:port) to send its PubNub grants somewhere else, or
 * RED5_CLOUD_LOCAL=true to try Red5 Cloud locally (see wantsLocalRed5Cloud). Hardening:
 * REQUIRE_HTTPS (on by default when NODE_ENV=production), TRUST_PROXY, RATE_LIMIT_TOKENS and
 * RATE_LIMIT_FAILURES (`points/seconds`). LiveKit: LIVEKIT_API_KEY with LIVEKIT_API_SECRET and
 * LIVEKIT_URL (LiveKit's own names; the URL is what its token endpoint, POST /livekit-token, answers).
 * TURN: TURN_SECRET (coturn's static-auth-secret) with TURN_URLS (comma-separated turn:, turns:
 * and stun: URIs), for `"turn": true` requests. The demo page: RED5PRO_HOST, RED5PRO_PORT, RED5PRO_APP
 * (where its WebRTC buttons publish and play; see loadRed5ProMedia).
 */
export function loadConfig(env = process.env) {
  const port = integer(env, 'PORT', 3000, 0, 65535);
  const host = env.HOST || '127.0.0.1';
  const maxTtlMinutes = integer(env, 'RED5PRO_JWT_TTL_MINUTES', 60, 1, 525600);
  const issuer = env.RED5PRO_JWT_ISSUER || undefined;
  const production = env.NODE_ENV === 'production';

  let secret = env.RED5PRO_JWT_SECRET;
  let devSecretFile;
  if (!secret) {
    if (production) {
      throw new Error(
        'RED5PRO_JWT_SECRET is not set. In production the example will not generate a secret: set ' +
          "RED5PRO_JWT_SECRET to the Red5 Pro server's JWT secret (at least 32 bytes).",
      );
    }
    devSecretFile = env.ROOMKEY_DEV_SECRET_FILE || DEFAULT_DEV_SECRET_FILE;
    secret = loadOrCreateDevSecret(devSecretFile);
  }
  const platforms = {
    red5pro: red5ProSigner({ secret, maxTtlMinutes, issuer }),
    ...red5CloudClient(env),
    ...sessionSigner(env),
    ...liveKitSigner(env),
    ...turnSigner(env),
  };
  const tokens = [
    'red5pro',
    ...(platforms.red5cloud ? ['conference', 'chat'] : []),
    ...(platforms.vonage || platforms.opentok ? ['vonage'] : []),
    ...(platforms.livekit ? ['livekit'] : []),
    ...(platforms.turn ? ['turn'] : []),
  ];
  const requireHttps = flag(env, 'REQUIRE_HTTPS', production);
  const trustProxy = flag(env, 'TRUST_PROXY', false);
  const rateLimit = {
    ...window(env, 'RATE_LIMIT_TOKENS', 'issued'),
    ...window(env, 'RATE_LIMIT_FAILURES', 'failures'),
  };
  const issuerOptions = { ...platforms, requireHttps, ...(Object.keys(rateLimit).length > 0 && { rateLimit }) };
  const red5proMedia = loadRed5ProMedia(env);
  return { port, host, production, devSecretFile, platforms, tokens, issuer: issuerOptions, trustProxy, red5proMedia };
}

/**
 * Creates a signer now, so a weak secret or key stops the server before it listens. Its
 * TypeError names an option; the message names the environment variable instead.
 */
function signer(create, options, variables, fallback) {
  try {
    return create(options);
  } catch (error) {
    const option = /^\w+/.exec(error.message)?.[0];
    throw new Error(`${Object.hasOwn(variables, option) ? variables[option] : fallback}: ${error.message}`);
  }
}

function red5ProSigner({ secret, maxTtlMinutes, issuer }) {
  const variables = {
    secret: 'RED5PRO_JWT_SECRET',
    issuer: 'RED5PRO_JWT_ISSUER',
    maxTtlMinutes: 'RED5PRO_JWT_TTL_MINUTES',
  };
  return signer(createRed5ProSigner, { secret, maxTtlMinutes, ...(issuer && { issuer }) }, variables, 'RED5PRO_JWT_*');
}

/** Red5 Cloud, when both master credentials are set: decoded now, so a bad pair stops the start. */
function red5CloudClient(env) {
  const { RED5_MASTER_KEY: masterKey, RED5_MASTER_SECRET: masterSecret, PUBNUB_ORIGIN: origin } = env;
  if (Boolean(masterKey) !== Boolean(masterSecret)) {
    throw new Error('set RED5_MASTER_KEY and RED5_MASTER_SECRET together (or neither)');
  }
  if (!masterKey) {
    if (origin)
      throw new Error('PUBNUB_ORIGIN is set but Red5 Cloud is not: set RED5_MASTER_KEY and RED5_MASTER_SECRET');
    return {};
  }
  const variables = { masterKey: 'RED5_MASTER_KEY', masterSecret: 'RED5_MASTER_SECRET', pubnub: 'PUBNUB_ORIGIN' };
  const options = { masterKey, masterSecret, ...(origin && { pubnub: pubNubOrigin(origin) }) };
  return { red5cloud: signer(createRed5CloudClient, options, variables, 'RED5_*') };
}

/** `host:port` (or `host`), checked here to name the variable; the core speaks plain HTTP only to loopback. */
function pubNubOrigin(origin) {
  try {
    new URL(`http://${origin}`);
  } catch {
    throw new Error('PUBNUB_ORIGIN must be host or host:port, such as ps.pndsn.com or 127.0.0.1:8090');
  }
  return { origin };
}

/** Vonage Video (application key) or legacy OpenTok (API key and secret): each variable needs its pair. */
function sessionSigner(env) {
  const { VONAGE_APPLICATION_ID: applicationId, VONAGE_PRIVATE_KEY: privateKey } = env;
  const { OPENTOK_API_KEY: apiKey, OPENTOK_API_SECRET: apiSecret } = env;
  if (Boolean(applicationId) !== Boolean(privateKey)) {
    throw new Error('set VONAGE_APPLICATION_ID and VONAGE_PRIVATE_KEY together (or neither)');
  }
  if (Boolean(apiKey) !== Boolean(apiSecret)) {
    throw new Error('set OPENTOK_API_KEY and OPENTOK_API_SECRET together (or neither)');
  }
  if (applicationId && apiKey) {
    throw new Error('set either VONAGE_* or OPENTOK_* variables: both issue the "vonage" token for a session');
  }
  if (applicationId) {
    const variables = { applicationId: 'VONAGE_APPLICATION_ID', privateKey: 'VONAGE_PRIVATE_KEY' };
    return { vonage: signer(createVonageVideoSigner, { applicationId, privateKey }, variables, 'VONAGE_*') };
  }
  if (apiKey) {
    const variables = { apiKey: 'OPENTOK_API_KEY', apiSecret: 'OPENTOK_API_SECRET' };
    return { opentok: signer(createOpenTokSigner, { apiKey, apiSecret }, variables, 'OPENTOK_*') };
  }
  return {};
}

/** LiveKit, when its key, secret and URL are set (the three together: the token endpoint needs the URL). */
function liveKitSigner(env) {
  const { LIVEKIT_API_KEY: apiKey, LIVEKIT_API_SECRET: apiSecret, LIVEKIT_URL: url } = env;
  if (!apiKey && !apiSecret && !url) return {};
  if (!apiKey || !apiSecret || !url)
    throw new Error('set LIVEKIT_API_KEY, LIVEKIT_API_SECRET and LIVEKIT_URL together (or none)');
  const variables = { apiKey: 'LIVEKIT_API_KEY', apiSecret: 'LIVEKIT_API_SECRET', url: 'LIVEKIT_URL' };
  return { livekit: signer(createLiveKitSigner, { apiKey, apiSecret, url }, variables, 'LIVEKIT_*') };
}

/**
 * TURN, when TURN_SECRET and TURN_URLS are set: read as roomkey's TURN platform reads its own
 * variables (the same messages as `roomkey serve`), the signer made now.
 */
function turnSigner(env) {
  const signer = turnDefinition.env.read(env);
  return signer === undefined ? {} : { turn: signer };
}

function flag(env, name, fallback) {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw !== 'true' && raw !== 'false') throw new Error(`${name} must be true or false`);
  return raw === 'true';
}

/** `points/seconds`, e.g. `30/60`: at most 30 in any 60 seconds. */
function window(env, name, option) {
  const raw = env[name];
  if (raw === undefined || raw === '') return {};
  const match = /^(\d{1,6})\/(\d{1,6})$/.exec(raw);
  if (!match || Number(match[1]) < 1 || Number(match[2]) < 1) {
    throw new Error(`${name} must be points/seconds, such as 30/60 (at most 30 in any 60 seconds)`);
  }
  return { [option]: { points: Number(match[1]), duration: Number(match[2]) } };
}

function integer(env, name, fallback, min, max) {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    throw new Error(`${name} must be a whole number from ${min} to ${max}`);
  }
  return value;
}

/** Keeps the generated secret across restarts so tokens and the media server stay in step. */
function loadOrCreateDevSecret(file) {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  try {
    writeFileSync(file, `${generateSecret()}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if (error.code !== 'EEXIST') throw error;
  }
  const mode = statSync(file).mode & 0o777;
  if (mode & 0o077) {
    chmodSync(file, 0o600);
  }
  return readFileSync(file, 'utf8').trim();
}

/**
 * RED5_CLOUD_LOCAL=true: Red5 Cloud on this machine, with demo credentials and a local PubNub
 * stand-in (local-red5cloud.js) instead of a Red5 Cloud account. Refused in production and
 * beside real Red5 Cloud credentials.
 */
export function wantsLocalRed5Cloud(env = process.env) {
  if (!flag(env, 'RED5_CLOUD_LOCAL', false)) return false;
  if (env.NODE_ENV === 'production') {
    throw new Error(
      'RED5_CLOUD_LOCAL is for trying Red5 Cloud on your own machine: unset it in production and set ' +
        'RED5_MASTER_KEY and RED5_MASTER_SECRET',
    );
  }
  const real = ['RED5_MASTER_KEY', 'RED5_MASTER_SECRET', 'PUBNUB_ORIGIN'].filter((name) => env[name]);
  if (real.length > 0) {
    throw new Error(
      `RED5_CLOUD_LOCAL makes its own demo credentials: unset ${real.join(', ')}, or unset RED5_CLOUD_LOCAL to use them`,
    );
  }
  return true;
}
