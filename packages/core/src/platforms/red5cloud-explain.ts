import {
  type Check,
  expiryCheck,
  explainAll,
  fail,
  hs256Check,
  type Meanings,
  pass,
  type Report,
  report,
  time,
} from '../explain.js';
import type { DecodedToken } from '../platform.js';

/** A Red5 Cloud conference token (Red5's backend SDK, or roomkey's `conference` token). */
export async function explainRed5CloudToken(
  jwt: Required<DecodedToken>,
  env: Readonly<Record<string, string | undefined>>,
  now: number,
  // Passed in by red5cloud.ts, which imports this module: no import cycle.
  decodeRed5MasterSecret: (
    masterKey: string,
    masterSecret: string,
  ) => {
    conferenceSecret: string;
    pubnubSubscribeKey: string;
  },
): Promise<Report> {
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
