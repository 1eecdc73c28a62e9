import { createCipheriv, createDecipheriv, createHash, randomBytes, randomUUID } from 'node:crypto';
import type { StandInKeyset } from '@roomkey/pubnub-stand-in';
import type { Red5CloudCredentials } from '../../src/platforms/red5cloud.js';

/**
 * Red5 Cloud master secrets made and read independently of roomkey's code, from DESIGN.md's
 * description of Red5's scheme: base64 → hex text → AES-128-ECB with key MD5(first 16
 * characters of the master key) → `conferenceSecret|pubnubSecret|pubKey|subKey|streamManagerHost`.
 */

function aesKey(masterKey: string): Buffer {
  return createHash('md5').update(masterKey.substring(0, 16)).digest();
}

/** Encrypts any `|`-joined text the way a Red5 Cloud dashboard would. */
export function referenceMasterSecret(masterKey: string, fields: readonly string[]): string {
  const cipher = createCipheriv('aes-128-ecb', aesKey(masterKey), null);
  let hex = cipher.update(fields.join('|'), 'utf8', 'hex');
  hex += cipher.final('hex');
  return Buffer.from(hex).toString('base64');
}

/** Decrypts a master secret to its fields, as Red5's backend package would. */
export function referenceDecode(masterKey: string, masterSecret: string): string[] {
  const hex = Buffer.from(masterSecret, 'base64').toString();
  const decipher = createDecipheriv('aes-128-ecb', aesKey(masterKey), null);
  decipher.setAutoPadding(true);
  let text = decipher.update(hex, 'hex', 'utf8');
  text += decipher.final('utf8');
  return text.split('|');
}

/** A master key shaped like the dashboard's: 32 lower-case hex-ish characters. */
export function makeMasterKey(): string {
  return randomBytes(16).toString('hex');
}

/** Fresh credentials, each field random, so a leak check can look for every one. */
export function makeCredentials(): Red5CloudCredentials {
  return {
    conferenceSecret: randomBytes(32).toString('base64url'),
    pubnubSecretKey: `sec-c-${randomBytes(27).toString('base64url')}`,
    pubnubPublishKey: `pub-c-${randomUUID()}`,
    pubnubSubscribeKey: `sub-c-${randomUUID()}`,
    streamManagerHost: `sm-${randomBytes(4).toString('hex')}.cloud.red5.example`,
  };
}

export function credentialFields(credentials: Red5CloudCredentials): string[] {
  return [
    credentials.conferenceSecret,
    credentials.pubnubSecretKey,
    credentials.pubnubPublishKey,
    credentials.pubnubSubscribeKey,
    credentials.streamManagerHost,
  ];
}

/** red5-bcs-node's conference-token payload: exactly these claims, in this order (DESIGN.md). */
export const CONFERENCE_CLAIMS: readonly string[] = [
  'uid',
  'roomId',
  'role',
  'pubnubSubscribeKey',
  'pubnubPublishKey',
  'pubnubToken',
  'iat',
  'exp',
];

/** The PubNub keyset inside Red5 Cloud credentials, as the PubNub stand-in takes it. */
export function standInKeyset(credentials: Red5CloudCredentials): StandInKeyset {
  return {
    publishKey: credentials.pubnubPublishKey,
    subscribeKey: credentials.pubnubSubscribeKey,
    secretKey: credentials.pubnubSecretKey,
  };
}
