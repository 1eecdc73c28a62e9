import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createRed5ProSigner, createTurnCredentialSigner, generateSecret, RED5PRO_ROLE_MAP } from '@roomkey/core';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningCoturn, startCoturn } from '../support/coturn.js';
import { launchChromium } from './support/chromium.js';
import { lastPeer, RECORD_PEERS } from './support/peers.js';
import { publishWithRed5Sdk } from './support/red5pro-publish.js';
import { type Red5ProStandIn, startRed5ProStandIn } from './support/red5pro-standin.js';

// Red5's WebRTC SDK publishes over WHIP to the Red5 Pro stand-in through coturn only, with the
// iceServers roomkey issues passed as the SDK's rtcConfiguration (the README's snippet).

const SDK = readFileSync(
  fileURLToPath(new URL('../../examples/shared/node_modules/red5pro-webrtc-sdk/red5pro-sdk.min.js', import.meta.url)),
);
// Each RTCPeerConnection the SDK makes is kept, to read its stats afterwards.
const PAGE = `<!doctype html><meta charset="utf-8"><title>roomkey TURN with Red5's SDK</title>
<script>${RECORD_PEERS}</script>
<script src="/red5pro-sdk.min.js"></script>
<video id="red5pro-publisher" muted autoplay playsinline></video>`;

const secret = generateSecret();
let standIn: Red5ProStandIn;
let coturn: RunningCoturn;
let server: Server;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  server = createServer((request, response) => {
    if (request.url === '/red5pro-sdk.min.js') {
      response.writeHead(200, { 'Content-Type': 'text/javascript' }).end(SDK);
    } else {
      response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(PAGE);
    }
  });
  server.listen(0, '127.0.0.1');
  [standIn, coturn, browser] = await Promise.all([
    startRed5ProStandIn({ secret, ttlMinutes: 60 }),
    startCoturn(),
    launchChromium(),
    once(server, 'listening'),
  ]);
  page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
}, 30_000);
afterAll(async () => {
  await browser?.close();
  await Promise.all([coturn?.stop(), standIn?.close()]);
  server?.close();
});

describe("Red5's WebRTC SDK with roomkey's TURN credentials as rtcConfiguration", () => {
  it('publishes to the Red5 Pro stand-in through coturn only: the selected pair is a relay candidate', async () => {
    const { token } = await createRed5ProSigner({ secret }).sign({
      subject: 'bob',
      roles: RED5PRO_ROLE_MAP.publisher,
      transports: ['WHIP'],
      rooms: ['room-abc'],
    });
    const { iceServers } = createTurnCredentialSigner({ secret: coturn.secret, urls: [coturn.url] }).issue('bob', 600);
    const published = await publishWithRed5Sdk(page, {
      port: standIn.port,
      token,
      room: 'room-abc',
      streamName: 'relayed',
      rtcConfiguration: { iceServers, iceTransportPolicy: 'relay' },
    });
    expect(published.refused, JSON.stringify(published)).toBeUndefined();
    expect(published.events).toContain('Publish.Start');
    expect(await lastPeer(page)).toEqual({ policy: 'relay', connection: 'connected', local: 'relay' });
    expect(standIn.decisions.at(-1)).toMatchObject({ kind: 'publish', outcome: 'accepted', subject: 'bob' });
  }, 40_000);
});
