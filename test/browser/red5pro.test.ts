import { generateSecret } from '@roomkey/core';
import { SignJWT } from 'jose';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningExample, startExample } from '../examples/run-example.js';
import { launchChromium } from './support/chromium.js';
import { publishWithRed5Sdk } from './support/red5pro-publish.js';
import { type Red5ProStandIn, startRed5ProStandIn } from './support/red5pro-standin.js';
import { screenshot } from './support/screenshots.js';

const secret = generateSecret();
let standIn: Red5ProStandIn;
let example: RunningExample;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  standIn = await startRed5ProStandIn({ secret, ttlMinutes: 60 });
  [example, browser] = await Promise.all([
    startExample('express', {
      RED5PRO_JWT_SECRET: secret,
      RED5PRO_HOST: '127.0.0.1',
      RED5PRO_PORT: String(standIn.port),
    }),
    launchChromium(),
  ]);
  page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  await page.goto(`${example.url}/`);
  await page.locator('#media-log li', { hasText: 'red5pro-webrtc-sdk loaded' }).waitFor();
}, 30_000);
afterAll(async () => {
  await browser?.close();
  await example?.stop();
  await standIn?.close();
});

async function signIn(credential: string) {
  await page.click(`#users button[value="${credential}"]`);
}

/** Waits for a line of the page's media log that matches. */
async function logLine(pattern: RegExp) {
  await page
    .locator('#media-log li', { hasText: pattern })
    .first()
    .waitFor({ timeout: 15_000 })
    .catch(async (error) => {
      const log = await page.locator('#media-log li').allTextContents();
      throw new Error(`${error.message}\nmedia log:\n${log.join('\n')}`);
    });
}

/** Red5's WHIPClient in the page with a token the test chose: its failure message, or its events. */
function publishInPage(token: string, room: string) {
  return publishWithRed5Sdk(page, {
    port: standIn.port,
    token,
    room,
    streamName: 'probe',
    rtcConfiguration: { iceServers: [] },
  });
}

describe("Red5's WebRTC SDK with tokens from @roomkey/client, against a Red5 Pro stand-in", () => {
  it('bob publishes over WHIP: a real SDP answer, the peer connection opens, Publish.Start', async () => {
    await signIn('demo-bob');
    await page.click('#publish');
    await logLine(/publish: Publish\.Start/);
    await logLine(/publish: WebRTC\.PeerConnection\.Open/);
    expect(standIn.decisions).toEqual([
      { kind: 'publish', room: 'room-abc', stream: 'demo-stream', outcome: 'accepted', subject: 'bob' },
    ]);
    // What the SDK really sent: the token in the query string of its POST, the SDP as the body.
    const post = standIn.requests.find((request) => request.method === 'POST');
    expect(post).toMatchObject({
      path: '/live/room-abc/whip/endpoint/demo-stream',
      contentType: 'application/sdp',
    });
    expect(post?.query).toEqual(['signal', 'username', 'password', 'token', 'mode', 'keyFramerate']);
  });

  it('bob plays the stream over WHEP and the relayed video reaches the player', async () => {
    await page.click('#play');
    await logLine(/play: Subscribe\.Start/);
    expect(standIn.decisions.at(-1)).toMatchObject({ kind: 'play', room: 'room-abc', outcome: 'accepted' });
    // Red5's WHEP: the token in the POST's query, the server's offer back, the player's answer PATCHed.
    const posts = standIn.requests.filter((request) => request.method === 'POST');
    expect(posts.at(-1)).toMatchObject({ path: '/live/room-abc/whep/endpoint/demo-stream' });
    expect(posts.at(-1)?.query).toEqual(['requestId', 'signal', 'username', 'password', 'token', 'doNotSwitch']);
    expect(standIn.requests.map((request) => `${request.method} ${request.contentType}`)).toContain(
      'PATCH application/sdp',
    );
    const videoWidth = () =>
      page.locator('#red5pro-subscriber').evaluate((video) => (video as unknown as { videoWidth: number }).videoWidth);
    await expect.poll(videoWidth, { timeout: 15_000 }).toBeGreaterThan(0);
    await screenshot(page, 'red5pro-bob-publishes-and-plays');
  });

  it("carol's publish is refused with role_denied, and the SDK tells the page", async () => {
    await signIn('demo-carol');
    await page.click('#publish');
    await logLine(/publish: refused by the server: Not authorized\./);
    expect(standIn.decisions.at(-1)).toMatchObject({ kind: 'publish', outcome: 'role_denied', subject: 'carol' });
    await screenshot(page, 'red5pro-carol-refused');
  });

  it('refuses a token for another room, and an expired one; the SDK reports both', async () => {
    await signIn('demo-bob');
    // A string, so that the test runner does not rewrite the page's dynamic import.
    const otherRoom = await page.evaluate(`(async () => {
      const { createTokenClient } = await import('/roomkey-client.js');
      const client = createTokenClient({ url: '/tokens' });
      return (await client.get({ room: 'room-b', role: 'publisher', transports: ['WHIP'] })).tokens.red5pro.token;
    })()`);
    expect(typeof otherRoom).toBe('string');
    const first = await publishInPage(otherRoom as string, 'room-abc');
    expect(first.refused).toBe('Not authorized.');
    expect(standIn.decisions.at(-1)).toMatchObject({ room: 'room-abc', outcome: 'room_denied' });

    const expired = await new SignJWT({
      roles: 'red5-publisher,red5-subscriber',
      'red5-transport': 'WHIP',
      'red5-room': 'room-abc',
    })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject('bob')
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(new TextEncoder().encode(secret));
    const second = await publishInPage(expired, 'room-abc');
    expect(second.refused).toBe('Not authorized.');
    expect(second.events).toContain('Connect.Failure');
    expect(standIn.decisions.at(-1)).toMatchObject({ outcome: 'token_expired' });
  });
});
