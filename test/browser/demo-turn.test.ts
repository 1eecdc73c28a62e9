/**
 * The demo page's "relay only" switch against a real coturn: the page asks for `"turn": true`
 * with the room, shows the TURN credentials' expiry, and two RTCPeerConnections in the page
 * (iceTransportPolicy 'relay') open a data channel through coturn with the iceServers roomkey
 * issued; the selected pair's candidates are relay to relay. An example server whose TURN_SECRET
 * is not coturn's gets 401s from coturn, and the page says there is no connection. With the
 * switch on, the page's Red5 SDK publishes to the Red5 Pro stand-in through the relay only.
 */
import { generateSecret } from '@roomkey/core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningExample, startExample } from '../examples/run-example.js';
import { type RunningCoturn, startCoturn } from '../support/coturn.js';
import { launchChromium } from './support/chromium.js';
import { lastPeer, RECORD_PEERS } from './support/peers.js';
import { type Red5ProStandIn, startRed5ProStandIn } from './support/red5pro-standin.js';
import { screenshot } from './support/screenshots.js';

let coturn: RunningCoturn;
let standIn: Red5ProStandIn;
let browser: Browser;
let example: RunningExample;
let foreign: RunningExample;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  const secret = generateSecret();
  [coturn, browser, standIn] = await Promise.all([
    startCoturn(),
    launchChromium(),
    startRed5ProStandIn({ secret, ttlMinutes: 60 }),
  ]);
  const env = { RED5PRO_JWT_SECRET: secret, TURN_URLS: coturn.url };
  [example, foreign] = await Promise.all([
    startExample('express', {
      ...env,
      TURN_SECRET: coturn.secret,
      RED5PRO_HOST: '127.0.0.1',
      RED5PRO_PORT: String(standIn.port),
    }),
    startExample('express', { ...env, TURN_SECRET: generateSecret() }),
  ]);
}, 30_000);
afterAll(async () => {
  for (const context of contexts) await context.close();
  await browser?.close();
  await Promise.all([example?.stop(), foreign?.stop(), coturn?.stop(), standIn?.close()]);
});

/** Signs in as bob and watches `{ room, turn: true }` with the switch on; returns the TURN card. */
async function askForRelay(server: RunningExample): Promise<{ page: Page; turn: ReturnType<Page['locator']> }> {
  const context = await browser.newContext({ viewport: { width: 1000, height: 900 } });
  contexts.push(context);
  const page = await context.newPage();
  // Each RTCPeerConnection the page makes (the Red5 SDK's too) is kept, to read its stats afterwards.
  await page.addInitScript({ content: RECORD_PEERS });
  await page.goto(`${server.url}/`);
  await page.locator('body[data-ready="true"]').waitFor();
  await page.click('#users button[value="demo-bob"]');
  await page.setChecked('input[name="turn"]', true);
  await page.click('#request button[type="submit"]');
  const card = page.locator('#watches .watch').first();
  await card.locator('.status').filter({ hasNotText: 'asking…' }).waitFor();
  const turn = card.locator('.token').filter({ has: page.locator('h4', { hasText: /^turn$/ }) });
  await turn.locator('.relay[data-open]').waitFor({ timeout: 20_000 });
  return { page, turn };
}

describe('the demo page: relay only', () => {
  it('asks for TURN credentials with the room, shows their expiry, and connects through coturn', async () => {
    const { page, turn } = await askForRelay(example);
    const card = page.locator('#watches .watch').first();
    await expect(card.locator('h3').textContent()).resolves.toBe('POST /tokens {"room":"room-abc","turn":true}');
    await expect(card.locator('.token h4').allTextContents()).resolves.toEqual(['red5pro', 'turn']);
    // 12 hours by default, counted down from the server's clock.
    await expect(turn.locator('.countdown').textContent()).resolves.toMatch(/^(719|720):\d\d$/);
    const shown = JSON.parse((await turn.locator('pre.claims').textContent()) ?? '[]');
    expect(shown).toEqual([
      { urls: [coturn.url], username: expect.stringMatching(/^\d{10}:bob$/), credential: '(hidden)' },
    ]);
    const relay = turn.locator('.relay');
    expect(await relay.getAttribute('data-open'), `${await relay.textContent()}\n${coturn.log()}`).toBe('true');
    expect(await relay.getAttribute('data-local')).toBe('relay');
    expect(await relay.getAttribute('data-remote')).toBe('relay');
    await expect(relay.textContent()).resolves.toBe(
      'Relay: data channel open through TURN; selected pair: local relay, remote relay.',
    );
    await screenshot(page, 'demo-turn-relay');
  }, 40_000);

  it('says there is no connection when coturn refuses the credentials (another secret): 401', async () => {
    const { turn } = await askForRelay(foreign);
    const relay = turn.locator('.relay');
    expect(await relay.getAttribute('data-open')).toBe('false');
    await expect(relay.textContent()).resolves.toMatch(/^Relay: no connection through TURN \(candidate errors: 401/);
  }, 40_000);

  it("publishes with the page's Red5 SDK to the Red5 Pro stand-in through the relay only", async () => {
    const { page } = await askForRelay(example);
    await page.locator('#media-log li', { hasText: 'red5pro-webrtc-sdk loaded' }).waitFor();
    await page.click('#publish');
    const log = async () => (await page.locator('#media-log li').allTextContents()).join('\n');
    await page
      .locator('#media-log li', { hasText: /through the TURN relay only \(credentials expire / })
      .waitFor({ timeout: 15_000 });
    await page
      .locator('#media-log li', { hasText: /publish: Publish\.Start/ })
      .waitFor({ timeout: 15_000 })
      .catch(async (error) => {
        throw new Error(`${error.message}\n${await log()}\n${coturn.log()}`);
      });
    // The SDK's peer connection: relay only, connected, its selected pair's local candidate a relay.
    const peer = await lastPeer(page);
    expect(peer, await log()).toEqual({ policy: 'relay', connection: 'connected', local: 'relay' });
    expect(standIn.decisions.at(-1)).toMatchObject({ kind: 'publish', outcome: 'accepted', subject: 'bob' });
  }, 60_000);
});
