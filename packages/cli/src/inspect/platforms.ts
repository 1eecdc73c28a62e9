import { createHmac, createPublicKey, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { decodeRed5MasterSecret } from '@roomkey/core';
import { jwtVerify } from 'jose';
import type { DecodedJwt } from './red5pro.js';
import { type Check, type Explained, fail, pass, type Report, skip, type TokenKind, verdictOf } from './report.js';
import { describeTime, expiryCheck } from './time.js';

/** Which platform a decoded JWT was made for, by the claims each platform writes. */
export function jwtKind({ header, claims }: DecodedJwt): TokenKind {
  if ('uid' in claims && 'roomId' in claims && ('pubnubToken' in claims || 'pubnubSubscribeKey' in claims)) {
    return 'red5cloud-conference';
  }
  if (claims.scope === 'session.connect' && 'application_id' in claims) return 'vonage';
  if (claims.ist === 'project' || (claims.scope === 'session.connect' && 'session_id' in claims)) return 'opentok-jwt';
  if (header.alg === 'HS256' || ['roles', 'red5-room', 'red5-transport'].some((claim) => claim in claims)) {
    return 'red5pro';
  }
  return 'unknown';
}

type Meanings = Record<string, (value: unknown) => string>;

function explainAll(claims: Record<string, unknown>, meanings: Meanings, fallback: string): Explained[] {
  return Object.entries(claims).map(([claim, value]) => ({
    claim,
    value,
    meaning: meanings[claim]?.(value) ?? fallback,
  }));
}

async function hs256Check(token: string, key: string | undefined, source: string): Promise<Check> {
  if (key === undefined) return skip('signature', `NOT CHECKED: set ${source} to check it`);
  try {
    // The time rules are reported on their own: only the signature is judged here.
    await jwtVerify(token, Buffer.from(key, 'utf8'), { algorithms: ['HS256'], currentDate: new Date(0) });
    return pass('signature', `HMAC-SHA256 with ${source}`);
  } catch (error) {
    return (error as { code?: string }).code === 'ERR_JWT_CLAIM_VALIDATION_FAILED'
      ? pass('signature', `HMAC-SHA256 with ${source}`)
      : fail('signature', `the signature does not match ${source}: the token was made with other credentials`);
  }
}

function report(
  kind: TokenKind,
  title: string,
  jwt: { header: Record<string, unknown> | undefined; claims: Record<string, unknown> },
  explained: Explained[],
  exp: unknown,
  checks: Check[],
): Report {
  const signatureChecked = checks.some((check) => check.rule === 'signature' && check.status !== 'skip');
  return {
    kind,
    title,
    header: jwt.header,
    claims: jwt.claims,
    explained,
    expiresAt: typeof exp === 'number' && exp < 1e11 ? new Date(exp * 1000).toISOString() : undefined,
    signatureChecked,
    checks,
    verdict: verdictOf(checks, signatureChecked),
  };
}

const time = (label: string, now: number) => (value: unknown) => `${label}: ${describeTime(value, now)}`;

/** A Red5 Cloud conference token (Red5's backend SDK, or roomkey's `conference` token). */
export async function inspectRed5Cloud(jwt: DecodedJwt, env: NodeJS.ProcessEnv, now: number): Promise<Report> {
  const { claims } = jwt;
  let secret: string | undefined;
  let subscribeKey: string | undefined;
  const { RED5_MASTER_KEY: masterKey, RED5_MASTER_SECRET: masterSecret } = env;
  const checks: Check[] = [];
  if (masterKey && masterSecret) {
    try {
      const credentials = decodeRed5MasterSecret(masterKey, masterSecret);
      secret = credentials.conferenceSecret;
      subscribeKey = credentials.pubnubSubscribeKey;
    } catch (error) {
      checks.push(fail('credentials', `RED5_MASTER_KEY/RED5_MASTER_SECRET: ${(error as Error).message}`));
    }
  }
  checks.push(
    jwt.header.alg === 'HS256'
      ? pass('algorithm', 'HS256, as Red5 Cloud signs conference tokens')
      : fail('algorithm', `signed with ${String(jwt.header.alg)}; Red5 Cloud conference tokens are HS256`),
    await hs256Check(jwt.token, secret, 'the conference secret inside RED5_MASTER_SECRET'),
    expiryCheck(claims.exp, now),
    ['admin', 'publisher', 'subscriber'].includes(claims.role as string)
      ? pass('role', `${String(claims.role)} is one of Red5 Cloud's roles`)
      : fail('role', `role is "${String(claims.role)}"; Red5 Cloud knows admin, publisher and subscriber`),
  );
  if (subscribeKey !== undefined) {
    checks.push(
      claims.pubnubSubscribeKey === subscribeKey
        ? pass('keys', "the PubNub keys are this account's")
        : fail('keys', "pubnubSubscribeKey is not this account's (RED5_MASTER_SECRET): the SDK will refuse the token"),
    );
  }
  const meanings: Meanings = {
    uid: () => 'the user; also the PubNub user the embedded grant is for',
    roomId: () => 'the conference room, also the PubNub chat channel of the room',
    role: (value) =>
      ({
        admin: 'full room access and conference management',
        publisher: 'may publish audio and video',
        subscriber: 'may only watch and listen',
      })[String(value)] ?? 'not a Red5 Cloud role',
    pubnubSubscribeKey: () => "the account's PubNub subscribe key (public)",
    pubnubPublishKey: () => "the account's PubNub publish key",
    pubnubToken: (value) =>
      `a PubNub Access Manager token for the room's channel (${typeof value === 'string' ? value.length : 0} characters; not shown)`,
    iat: time('issued', now),
    exp: time('expiry', now),
  };
  const explained = explainAll(claims, meanings, 'not a Red5 Cloud claim: the SDK ignores it').map((entry) =>
    entry.claim === 'pubnubToken' ? { ...entry, value: '(hidden)' } : entry,
  );
  return report(
    'red5cloud-conference',
    'Red5 Cloud conference token',
    { header: jwt.header, claims: { ...claims, ...('pubnubToken' in claims && { pubnubToken: '(hidden)' }) } },
    explained,
    claims.exp,
    checks,
  );
}

const VONAGE_ROLES: Record<string, string> = {
  subscriber: 'may subscribe to streams, not publish',
  publisher: 'may publish and subscribe',
  publisheronly: 'may publish, not subscribe, and not send signals',
  moderator: 'may publish, subscribe, and force others to disconnect or mute',
};

function vonageMeanings(now: number): Meanings {
  return {
    session_id: () => 'the session the token opens',
    role: (value) => VONAGE_ROLES[String(value)] ?? 'not a Vonage role',
    scope: () => 'always session.connect',
    connection_data: () => 'connection data: visible to everyone in the session',
    initial_layout_class_list: () => 'layout classes for archives and broadcasts',
    expire_time: time('expiry', now),
    create_time: time('created', now),
    exp: time('expiry', now),
    iat: time('issued', now),
    jti: () => 'a unique id for this token',
    nonce: () => 'a random number',
  };
}

/** A Vonage Video client token (RS256, application key). */
export async function inspectVonage(jwt: DecodedJwt, env: NodeJS.ProcessEnv, now: number): Promise<Report> {
  const { claims } = jwt;
  const checks: Check[] = [
    jwt.header.alg === 'RS256'
      ? pass('algorithm', 'RS256, signed with the application private key')
      : fail('algorithm', `signed with ${String(jwt.header.alg)}; Vonage Video client tokens are RS256`),
    await vonageSignature(jwt.token, env.VONAGE_PRIVATE_KEY),
    expiryCheck(claims.exp, now),
    typeof claims.role === 'string' && claims.role in VONAGE_ROLES
      ? pass('role', `${String(claims.role)} is a Vonage role`)
      : fail('role', `role is "${String(claims.role)}"; Vonage knows ${Object.keys(VONAGE_ROLES).join(', ')}`),
  ];
  if (env.VONAGE_APPLICATION_ID) {
    checks.push(
      claims.application_id === env.VONAGE_APPLICATION_ID
        ? pass('application', 'application_id is VONAGE_APPLICATION_ID')
        : fail('application', 'application_id is not VONAGE_APPLICATION_ID: the token is for another application'),
    );
  }
  const meanings: Meanings = {
    ...vonageMeanings(now),
    application_id: () => 'the Vonage application that signed it',
    sub: () => 'always "video"',
    acl: () => 'the API paths the token may use',
  };
  return report(
    'vonage',
    'Vonage Video client token',
    jwt,
    explainAll(claims, meanings, 'not read by Vonage'),
    claims.exp,
    checks,
  );
}

async function vonageSignature(token: string, privateKey: string | undefined): Promise<Check> {
  if (!privateKey) return skip('signature', 'NOT CHECKED: set VONAGE_PRIVATE_KEY (PEM text or a file) to check it');
  try {
    const pem = privateKey.includes('-----BEGIN') ? privateKey.replace(/\\n/g, '\n') : readFileSync(privateKey, 'utf8');
    await jwtVerify(token, createPublicKey(pem), { algorithms: ['RS256'], currentDate: new Date(0) }).catch((error) => {
      if ((error as { code?: string }).code !== 'ERR_JWT_CLAIM_VALIDATION_FAILED') throw error;
    });
    return pass('signature', 'RS256 with the public half of VONAGE_PRIVATE_KEY');
  } catch {
    return fail(
      'signature',
      "the signature does not match VONAGE_PRIVATE_KEY's public key: another application signed it",
    );
  }
}

/** A legacy OpenTok JWT (`ist: "project"`, HS256 with the API secret). */
export async function inspectOpenTokJwt(jwt: DecodedJwt, env: NodeJS.ProcessEnv, now: number): Promise<Report> {
  const { claims } = jwt;
  const checks: Check[] = [
    await hs256Check(jwt.token, env.OPENTOK_API_SECRET || undefined, 'OPENTOK_API_SECRET'),
    expiryCheck(claims.exp, now),
    apiKeyCheck(claims.iss, env.OPENTOK_API_KEY),
  ];
  const meanings: Meanings = {
    ...vonageMeanings(now),
    iss: () => 'the OpenTok API key (project)',
    ist: () => 'always "project"',
  };
  return report(
    'opentok-jwt',
    'OpenTok token (JWT)',
    jwt,
    explainAll(claims, meanings, 'not read by OpenTok'),
    claims.exp,
    checks,
  );
}

function apiKeyCheck(value: unknown, apiKey: string | undefined): Check {
  if (!apiKey) return skip('project', 'not checked: set OPENTOK_API_KEY to check the project');
  return String(value) === apiKey
    ? pass('project', 'made for the project OPENTOK_API_KEY')
    : fail('project', `made for project ${String(value)}, not OPENTOK_API_KEY`);
}

/** A legacy OpenTok `T1==` token: base64 of `partner_id=…&sig=…:` and URL-encoded data. */
export function inspectOpenTokT1(token: string, env: NodeJS.ProcessEnv, now: number): Report {
  const text = Buffer.from(token.slice(4), 'base64').toString('utf8');
  const colon = text.indexOf(':');
  const head = new URLSearchParams(text.slice(0, Math.max(colon, 0)));
  const data = text.slice(colon + 1);
  const claims: Record<string, unknown> = {};
  for (const [name, value] of new URLSearchParams(data)) {
    claims[name] = /^(create_time|expire_time|nonce)$/.test(name) && /^\d+$/.test(value) ? Number(value) : value;
  }
  const secret = env.OPENTOK_API_SECRET || undefined;
  let signature: Check;
  if (colon < 0 || !head.get('sig')) {
    signature = fail('format', 'not a T1 token: expected partner_id, sig and data after T1==');
  } else if (secret === undefined) {
    signature = skip('signature', 'NOT CHECKED: set OPENTOK_API_SECRET to check it');
  } else {
    const expected = createHmac('sha1', secret).update(data).digest();
    const given = Buffer.from(head.get('sig') ?? '', 'hex');
    signature =
      given.length === expected.length && timingSafeEqual(given, expected)
        ? pass('signature', 'HMAC-SHA1 with OPENTOK_API_SECRET')
        : fail(
            'signature',
            'the signature does not match OPENTOK_API_SECRET: the token was made with other credentials',
          );
  }
  const checks = [
    signature,
    expiryCheck(claims.expire_time, now),
    apiKeyCheck(head.get('partner_id'), env.OPENTOK_API_KEY),
  ];
  const all = { partner_id: head.get('partner_id'), ...claims };
  const meanings: Meanings = { ...vonageMeanings(now), partner_id: () => 'the OpenTok API key (project)' };
  return report(
    'opentok-t1',
    'OpenTok token (T1)',
    { header: undefined, claims: all },
    explainAll(all, meanings, 'not read by OpenTok'),
    claims.expire_time,
    checks,
  );
}
