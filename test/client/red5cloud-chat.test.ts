/**
 * The README's Red5 Cloud chat recipe, run as written: `watch` a chat token from the example
 * server and hand each one to PubNub's own SDK with `setToken`; PubNub then sends it with its
 * requests. PubNub runs against the local Access Manager stand-in (no PubNub servers here).
 */
import { createTokenClient } from '@roomkey/client';
import { generateSecret } from '@roomkey/core';
import { type PubNubStandIn, startPubNubStandIn } from '@roomkey/pubnub-stand-in';
import PubNub from 'pubnub';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  credentialFields,
  makeCredentials,
  makeMasterKey,
  referenceMasterSecret,
  standInKeyset,
} from '../../packages/core/test/support/red5cloud.js';
import { type RunningExample, startExample } from '../examples/run-example.js';

const masterKey = makeMasterKey();
const credentials = makeCredentials();
let standIn: PubNubStandIn;
let example: RunningExample;

beforeAll(async () => {
  standIn = await startPubNubStandIn(standInKeyset(credentials));
  example = await startExample('express', {
    RED5PRO_JWT_SECRET: generateSecret(),
    RED5_MASTER_KEY: masterKey,
    RED5_MASTER_SECRET: referenceMasterSecret(masterKey, credentialFields(credentials)),
    PUBNUB_ORIGIN: standIn.origin,
  });
});
afterAll(async () => {
  await example?.stop();
  await standIn?.close();
});

it('watch + PubNub setToken: the chat token reaches PubNub, which sends it as auth', async () => {
  const { publishKey, subscribeKey } = standInKeyset(credentials);
  // --- the recipe ---
  const client = createTokenClient({ url: `${example.url}/tokens`, headers: { authorization: 'Bearer demo-bob' } });
  const pubnub = new PubNub({ publishKey, subscribeKey, userId: 'bob', origin: standIn.origin, ssl: false });
  const delivered = new Promise<string>((resolve, reject) => {
    client.watch(
      { channel: 'lobby' },
      {
        onTokens: ({ tokens }) => {
          if (tokens.chat) pubnub.setToken(tokens.chat.token);
          resolve(tokens.chat?.token ?? '');
        },
        onError: reject,
      },
    );
  });
  // --- end of the recipe ---
  const token = await delivered;
  expect(token).toBe(standIn.tokens.at(-1));
  expect(pubnub.getToken()).toBe(token);
  const grant = standIn.requests.find((request) => request.path.includes('/grant'));
  expect(grant?.json?.permissions.uuid).toBe('bob');
  expect(Object.keys(grant?.json?.permissions.resources.channels ?? {})).toEqual(['lobby', 'lobby-pnpres']);

  // PubNub's next request carries the token (the stand-in answers only grants, so it fails).
  await pubnub.publish({ channel: 'lobby', message: 'hello' }).catch(() => {});
  const publish = standIn.requests.find((request) => request.path.startsWith('/publish/'));
  expect(publish?.query.auth).toBe(token);
  client.clear();
  pubnub.destroy();
});
