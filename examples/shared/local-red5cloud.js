import { randomBytes, randomUUID } from 'node:crypto';
import { encodeRed5MasterSecret, generateSecret } from '@roomkey/core';
import { startPubNubStandIn } from '@roomkey/pubnub-stand-in';

/**
 * Red5 Cloud on your own machine, for trying conference and chat tokens without a Red5 Cloud
 * account: demo master credentials made for this run, and a local stand-in for PubNub Access
 * Manager's grant endpoint on a loopback port that checks each grant's signature as PubNub
 * does and answers with a token. The tokens work against nothing but the stand-in.
 *
 * Returns the environment variables the example reads for real Red5 Cloud credentials
 * (RED5_MASTER_KEY, RED5_MASTER_SECRET, PUBNUB_ORIGIN) and `close()`.
 */
export async function startLocalRed5Cloud() {
  const credentials = {
    conferenceSecret: generateSecret(),
    pubnubSecretKey: `sec-c-demo-${randomBytes(24).toString('base64url')}`,
    pubnubPublishKey: `pub-c-demo-${randomUUID()}`,
    pubnubSubscribeKey: `sub-c-demo-${randomUUID()}`,
    streamManagerHost: 'localhost',
  };
  const masterKey = randomBytes(16).toString('hex');
  const standIn = await startPubNubStandIn({
    publishKey: credentials.pubnubPublishKey,
    subscribeKey: credentials.pubnubSubscribeKey,
    secretKey: credentials.pubnubSecretKey,
  });
  return {
    env: {
      RED5_MASTER_KEY: masterKey,
      RED5_MASTER_SECRET: encodeRed5MasterSecret(masterKey, credentials),
      PUBNUB_ORIGIN: standIn.origin,
    },
    origin: standIn.origin,
    close: () => standIn.close(),
  };
}
