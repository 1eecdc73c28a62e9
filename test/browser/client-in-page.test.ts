import { generateSecret } from '@roomkey/core';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningExample, startExample } from '../examples/run-example.js';
import { launchChromium } from './support/chromium.js';
import { screenshot } from './support/screenshots.js';

// Tokens asked for with ttlMinutes: 1 live 60 s, so the client refreshes them 30 s before expiry
// (half their life: less than its default 60 s margin).
let example: RunningExample;
let browser: Browser;
let page: Page;
const tokenRequests: string[] = [];

/** Runs a snippet in the page (a string: the page's own dynamic import stays as written). */
function inPage<T>(body: string): Promise<T> {
  return page.evaluate(`(async () => { const rk = globalThis.rk; ${body} })()`) as Promise<T>;
}

beforeAll(async () => {
  [example, browser] = await Promise.all([
    startExample('express', { RED5PRO_JWT_SECRET: generateSecret() }),
    launchChromium(),
  ]);
  page = await browser.newPage();
  // The page's clock is five minutes ahead of the server's, and under the test's control.
  await page.clock.install({ time: Date.now() + 5 * 60_000 });
  page.on('request', (request) => {
    if (new URL(request.url()).pathname === '/tokens') tokenRequests.push(request.postData() ?? '');
  });
  await page.goto(`${example.url}/`);
  await page.locator('body[data-ready="true"]').waitFor();
  await page.click('#users button[value="demo-bob"]');
  await page.evaluate(`(async () => {
    const { createTokenClient } = await import('/roomkey-client.js');
    globalThis.rk = { client: createTokenClient({ url: '/tokens' }), deliveries: [], errors: [] };
  })()`);
}, 30_000);
afterAll(async () => {
  await browser?.close();
  await example?.stop();
});

describe('@roomkey/client inside the demo page', () => {
  it('caches per request, whatever the field order, and shares one request in flight', async () => {
    const result = await inPage<{ same: boolean; issued: boolean }>(`
      const [a, b] = await Promise.all([
        rk.client.get({ room: 'cache', role: 'publisher', transports: ['WHIP'] }),
        rk.client.get({ transports: ['WHIP'], role: 'publisher', room: 'cache' }),
      ]);
      const c = await rk.client.get({ role: 'publisher', room: 'cache', transports: ['WHIP'] });
      return { same: a === b && b === c, issued: typeof a.tokens.red5pro.token === 'string' };
    `);
    expect(result).toEqual({ same: true, issued: true });
    expect(tokenRequests).toHaveLength(1);
  });

  it('refreshes a one-minute token 30 s before expiry, with the page clock five minutes ahead', async () => {
    await inPage(`
      rk.stop = rk.client.watch({ room: 'refresh', ttlMinutes: 1 }, {
        onTokens: (body) => rk.deliveries.push(body.tokens.red5pro),
        onError: (error) => rk.errors.push(error.code),
      });
    `);
    const deliveries = () => inPage<{ token: string; expiresAt: string }[]>('return rk.deliveries;');
    await expect.poll(async () => (await deliveries()).length).toBe(1);
    const requestsBefore = tokenRequests.length;
    // 25 s in, nothing is due yet (a client trusting its own clock would see a token that
    // expired four minutes ago, and ask again at once).
    await page.clock.runFor(25_000);
    await page.waitForTimeout(300);
    expect(tokenRequests).toHaveLength(requestsBefore);
    // By 31 s (refreshed 30 s before expiry, one second early for Date's whole seconds):
    await page.clock.runFor(6_000);
    await expect.poll(async () => (await deliveries()).length).toBe(2);
    const [first, second] = await deliveries();
    expect(second?.token).not.toBe(first?.token);
    // (Only the page's clock moved: the server issued both within the same real second or two.)
    expect(Date.parse(second?.expiresAt ?? '')).toBeGreaterThanOrEqual(Date.parse(first?.expiresAt ?? ''));
    expect(await inPage('return rk.errors;')).toEqual([]);
  });

  it("shows the refresh on the demo page's own watch", async () => {
    await page.fill('input[name="ttlMinutes"]', '1');
    await page.click('#request button[type="submit"]');
    const card = page.locator('#watches .watch').first();
    await card.locator('.status', { hasText: /^Issued to bob/ }).waitFor();
    const firstClaims = await card.locator('pre.claims').textContent();
    await page.clock.runFor(31_000);
    await card.locator('.status', { hasText: /^Refreshed 1× before expiry/ }).waitFor();
    expect(await card.locator('pre.claims').textContent()).not.toBe(firstClaims);
    // The countdown follows the server's clock (each answer's Date), not the page's.
    expect(await card.locator('.countdown').textContent()).toMatch(/^(0:5\d|1:00)$/);
    await screenshot(page, 'demo-express-6-refreshed');
    await card.getByRole('button', { name: 'Stop watching' }).click();
  });

  it('clear() stops the watch and forgets the cache; nothing was ever in Web Storage', async () => {
    await inPage('rk.client.clear();');
    const requestsBefore = tokenRequests.length;
    const deliveredBefore = await inPage<number>('return rk.deliveries.length;');
    await page.clock.runFor(60_000);
    await page.waitForTimeout(300);
    expect(tokenRequests).toHaveLength(requestsBefore);
    expect(await inPage('return rk.deliveries.length;')).toBe(deliveredBefore);
    await inPage(`await rk.client.get({ room: 'cache', role: 'publisher', transports: ['WHIP'] });`);
    expect(tokenRequests).toHaveLength(requestsBefore + 1);
    expect(
      await inPage(`return {
        local: localStorage.length,
        session: sessionStorage.length,
        cookies: document.cookie,
        databases: (await indexedDB.databases()).length,
      };`),
    ).toEqual({ local: 0, session: 0, cookies: 'roomkey_demo=demo-bob', databases: 0 });
  });
});
