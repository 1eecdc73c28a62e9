import { generateSecret } from '@roomkey/core';
import { type PubNubStandIn, startPubNubStandIn } from '@roomkey/pubnub-stand-in';
import {
  credentialFields,
  makeCredentials,
  makeMasterKey,
  referenceMasterSecret,
  standInKeyset,
} from '../../../core/test/support/red5cloud.js';
import { roomkey, type Serving } from './run.js';

/** A legacy OpenTok project for Vonage tokens. */
export const OPENTOK = { OPENTOK_API_KEY: '123456', OPENTOK_API_SECRET: generateSecret() };
/** A session id of that project. */
export const SESSION = `1_MX4xMjM0NTZ-fjE2OTk5OTk5OTk5OTl-${'A'.repeat(20)}`;

/** A service key and the hash a configuration file holds for it. */
export interface Key {
  readonly key: string;
  readonly sha256: string;
}

/** A new service key, from `roomkey service-key --json`. */
export async function newKey(): Promise<Key> {
  return JSON.parse((await roomkey(['service-key', '--json'])).stdout) as Key;
}

export interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly headers: Headers;
}

/** `POST`s a JSON body to a route of the service (default `/tokens`). */
export function post(
  service: Serving,
  body: object,
  headers: Record<string, string>,
  path = '/tokens',
): Promise<Answer> {
  return fetch(`${service.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  }).then(async (res) => ({
    status: res.status,
    body: (await res.json()) as Record<string, unknown>,
    headers: res.headers,
  }));
}

/** The headers of a backend that calls with a service key for a user. */
export const asKey = (key: Key, user = 'alice') => ({ authorization: `Bearer ${key.key}`, 'roomkey-user': user });

/** A PubNub stand-in for a new Red5 Cloud account, and the variables that configure Red5 Cloud against it. */
export async function red5CloudStandIn(): Promise<{ standIn: PubNubStandIn; env: Record<string, string> }> {
  const credentials = makeCredentials();
  const standIn = await startPubNubStandIn(standInKeyset(credentials));
  const masterKey = makeMasterKey();
  return {
    standIn,
    env: {
      RED5_MASTER_KEY: masterKey,
      RED5_MASTER_SECRET: referenceMasterSecret(masterKey, credentialFields(credentials)),
      PUBNUB_ORIGIN: standIn.origin,
    },
  };
}
