import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { launchChromium } from './support/chromium.js';

// The browser build of @roomkey/client, in Chromium, against token answers a hostile or broken
// server gives: every request goes to page.route, on an origin that exists only in this test.
const ORIGIN = 'http://roomkey.test';
const bundle = readFileSync(
  fileURLToPath(new URL('../../packages/client/dist/roomkey-client.min.js', import.meta.url)),
);

let browser: Browser;
let page: Page;
let answer: () => { status: number; headers: Record<string, string>; body: string };

beforeAll(async () => {
  browser = await launchChromium();
}, 30_000);
afterAll(async () => {
  await browser?.close();
});

beforeEach(async () => {
  page = await browser.newPage();
  // The page's time moves only when the test says so.
  await page.clock.install({ time: Date.UTC(2030, 0, 1) });
  await page.clock.pauseAt(Date.UTC(2030, 0, 1, 0, 1));
  await page.route(`${ORIGIN}/**`, (route) => {
    const path = new URL(route.request().url()).pathname;
    if (path === '/roomkey-client.js') return route.fulfill({ contentType: 'text/javascript', body: bundle });
    if (path === '/tokens') return route.fulfill(answer());
    return route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>client</title>' });
  });
  await page.goto(`${ORIGIN}/`);
  // The shortest waits the jitter can draw; each request's time by the page's (fake) clock.
  await page.evaluate(`(async () => {
    Math.random = () => 0;
    const { createTokenClient } = await import('/roomkey-client.js');
    const rk = (globalThis.rk = { inFlight: 0, sent: [], errors: [], tokens: [], idle: [] });
    rk.client = createTokenClient({
      url: '/tokens',
      fetch: async (url, init) => {
        rk.inFlight++;
        rk.sent.push(Date.now());
        try {
          const response = await fetch(url, init);
          return new Response(await response.arrayBuffer(), { status: response.status, headers: response.headers });
        } finally {
          rk.inFlight--;
          if (rk.inFlight === 0) for (const resolve of rk.idle.splice(0)) resolve();
        }
      },
    });
  })()`);
});

function watch(): Promise<unknown> {
  return page.evaluate(`rk.client.watch({ room: 'a' }, {
    onTokens: (body) => rk.tokens.push(body.tokens.red5pro.token),
    onError: (error) => rk.errors.push(error.code),
  }) && undefined`);
}

/** Runs the page's clock for `ms` in 100 ms steps, letting each answer arrive; returns the gaps between requests. */
async function runFor(ms: number): Promise<number[]> {
  // A task the fake clock does not hold back (MessageChannel), to let the client handle an answer.
  const settle = `(async () => {
    const task = () => new Promise((resolve) => { const channel = new MessageChannel(); channel.port1.onmessage = resolve; channel.port2.postMessage(0); });
    // The answer travels for real: wait for it however long a loaded machine takes (a count of
    // tasks was a time limit in disguise).
    if (rk.inFlight > 0) await new Promise((resolve) => rk.idle.push(resolve));
    for (let turns = 0; turns < 5; turns++) await task();
    return rk.inFlight;
  })()`;
  for (let elapsed = 0; elapsed < ms; elapsed += 100) {
    expect(await page.evaluate(settle)).toBe(0);
    await page.clock.runFor(100);
  }
  expect(await page.evaluate(settle)).toBe(0);
  const sent = await page.evaluate<number[]>('rk.sent');
  return sent.slice(1).map((at, index) => at - (sent[index] ?? 0));
}

describe('@roomkey/client in a browser, against hostile answers', () => {
  it('backs off on 429 with Retry-After: 0 instead of looping', async () => {
    answer = () => ({
      status: 429,
      headers: { 'content-type': 'application/problem+json', 'retry-after': '0' },
      body: JSON.stringify({ code: 'rate_limited', detail: 'slow down' }),
    });
    await watch();
    expect(await runFor(59_900)).toEqual([1_000, 2_000, 4_000, 8_000, 15_000, 15_000]);
    expect(await page.evaluate('rk.errors')).toEqual(['rate_limited']);
    await page.close();
  });

  it('refuses an already-expired token: token_expired, never onTokens', async () => {
    answer = () => ({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        identity: 'bob',
        role: 'subscriber',
        // An hour before the page's clock (no Date header: the client's own clock judges).
        tokens: { red5pro: { token: 'expired', expiresAt: '2029-12-31T23:00:00.000Z' } },
      }),
    });
    await watch();
    expect(await runFor(59_900)).toEqual([1_000, 2_000, 4_000, 8_000, 15_000, 15_000]);
    expect(await page.evaluate('rk.tokens')).toEqual([]);
    expect(await page.evaluate('rk.errors')).toEqual(['token_expired']);
    await page.close();
  });
});
