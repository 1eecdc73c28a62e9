import { generateSecret } from '@roomkey/core';
import { jwtVerify } from 'jose';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Framework, type RunningExample, startExample } from '../examples/run-example.js';
import { launchChromium } from './support/chromium.js';
import { screenshot } from './support/screenshots.js';

const secret = generateSecret();
const frameworks: Framework[] = ['express', 'koa', 'fastify'];
const servers = new Map<Framework, RunningExample>();
let browser: Browser;

beforeAll(async () => {
  const started = await Promise.all([
    launchChromium(),
    ...frameworks.map((framework) => startExample(framework, { RED5PRO_JWT_SECRET: secret })),
  ]);
  browser = started[0] as Browser;
  frameworks.forEach((framework, index) => {
    servers.set(framework, started[index + 1] as RunningExample);
  });
}, 30_000);
afterAll(async () => {
  await browser?.close();
  await Promise.all([...servers.values()].map((server) => server.stop()));
});

function url(framework: Framework): string {
  const server = servers.get(framework);
  if (!server) throw new Error(`${framework} example is not running`);
  return server.url;
}

describe.each(frameworks)('the demo page on the %s example', (framework) => {
  let context: BrowserContext;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    context = await browser.newContext({ viewport: { width: 1000, height: 800 } });
    page = await context.newPage();
    page.on('pageerror', (error) => errors.push(error.message));
    // Any Content-Security-Policy violation (an inline script, an eval) is an error of the page.
    await page.addInitScript({
      content:
        "addEventListener('securitypolicyviolation', (e) => { (globalThis.__violations ??= []).push(e.violatedDirective); });",
    });
    await page.goto(`${url(framework)}/`);
    await page.locator('body[data-ready="true"]').waitFor();
  });
  afterAll(async () => {
    await context?.close();
  });

  async function ask(request: { role?: string; transports?: string[]; room?: string }) {
    await page.fill('input[name="room"]', request.room ?? 'room-abc');
    await page.selectOption('select[name="role"]', request.role ?? '');
    for (const transport of ['WHIP', 'WHEP', 'RTMP', 'RTSP']) {
      await page.setChecked(`input[value="${transport}"]`, request.transports?.includes(transport) ?? false);
    }
    await page.click('#request button[type="submit"]');
    const card = page.locator('#watches .watch').first();
    await card.locator('.status').filter({ hasNotText: 'asking…' }).waitFor();
    return card;
  }

  /** The claims the page shows, checked against the token's signature by jose. */
  async function shownClaims(card: ReturnType<Page['locator']>) {
    const shown = JSON.parse((await card.locator('pre.claims').textContent()) ?? '{}');
    return shown.claims as Record<string, unknown>;
  }

  it('refuses a visitor who has not picked a user: 401 unauthenticated', async () => {
    const card = await ask({});
    await expect(card.locator('.status strong').textContent()).resolves.toBe('Refused: 401 unauthenticated');
    await screenshot(page, `demo-${framework}-1-nobody-refused`);
  });

  it('alice gets a moderator token: decoded claims, expiry counting down', async () => {
    await page.click('#users button[value="demo-alice"]');
    await expect(page.locator('#session').textContent()).resolves.toBe('Signed in as alice: at most moderator.');
    const card = await ask({ role: 'moderator', transports: ['WHIP', 'WHEP'] });
    await expect(card.locator('.status').textContent()).resolves.toMatch(/^Issued to alice as moderator at /);
    expect(await shownClaims(card)).toMatchObject({
      sub: 'alice',
      roles: 'red5-publisher,red5-subscriber',
      'red5-transport': 'WHIP,WHEP',
      'red5-room': 'room-abc',
    });
    const first = await card.locator('.countdown').textContent();
    expect(first).toMatch(/^(59|60):\d\d$/);
    await expect.poll(() => card.locator('.countdown').textContent(), { timeout: 3_000 }).not.toBe(first);
    await screenshot(page, `demo-${framework}-2-alice-moderator`);
  });

  it('bob publishes over WHIP but may not moderate: 403 forbidden, shown with its code', async () => {
    await page.click('#users button[value="demo-bob"]');
    expect(await page.locator('#watches .watch').count()).toBe(0);
    const token = await ask({ role: 'publisher', transports: ['WHIP'] });
    const claims = await shownClaims(token);
    expect(claims).toMatchObject({ sub: 'bob', roles: 'red5-publisher,red5-subscriber', 'red5-transport': 'WHIP' });
    const refused = await ask({ role: 'moderator' });
    await expect(refused.locator('.status strong').textContent()).resolves.toBe('Refused: 403 forbidden');
    await expect(refused.getAttribute('data-code')).resolves.toBe('forbidden');
    await screenshot(page, `demo-${framework}-3-bob-publisher-and-refusal`);
  });

  it('carol subscribes with the granted role, and is refused as a publisher', async () => {
    await page.click('#users button[value="demo-carol"]');
    const card = await ask({});
    await expect(card.locator('.status').textContent()).resolves.toMatch(/^Issued to carol as subscriber/);
    const claims = await shownClaims(card);
    expect(claims).toMatchObject({ sub: 'carol', roles: 'red5-subscriber', 'red5-room': 'room-abc' });
    const refused = await ask({ role: 'publisher', transports: ['WHIP'] });
    await expect(refused.getAttribute('data-code')).resolves.toBe('forbidden');
    await screenshot(page, `demo-${framework}-4-carol-subscriber-and-refusal`);
  });

  it('shows claims that are really in the signed token', async () => {
    const token = await page.evaluate(`(async () => {
      const { createTokenClient } = await import('/roomkey-client.js');
      return (await createTokenClient({ url: '/tokens' }).get({ room: 'room-abc' })).tokens.red5pro.token;
    })()`);
    const { payload } = await jwtVerify(token as string, new TextEncoder().encode(secret), { algorithms: ['HS256'] });
    const shown = await shownClaims(page.locator('#watches .watch').nth(1));
    expect(shown).toMatchObject({ sub: payload.sub, roles: payload.roles, 'red5-room': payload['red5-room'] });
  });

  it('logs out with clear(): every token forgotten, nothing in Web Storage, no CSP violation', async () => {
    await page.click('#logout');
    await expect(page.locator('#session').textContent()).resolves.toMatch(/^Logged out: client\.clear\(\)/);
    expect(await page.locator('#watches .watch').count()).toBe(0);
    const storage = await page.evaluate(
      '({ local: localStorage.length, session: sessionStorage.length, cookie: document.cookie, violations: globalThis.__violations ?? [] })',
    );
    expect(storage).toEqual({ local: 0, session: 0, cookie: '', violations: [] });
    const card = await ask({});
    await expect(card.getAttribute('data-code')).resolves.toBe('unauthenticated');
    await screenshot(page, `demo-${framework}-5-logged-out`);
    expect(errors).toEqual([]);
  });
});

describe('the demo page files', () => {
  it.each(frameworks)('are served by %s with their content types and a strict CSP on the page', async (framework) => {
    const types: Record<string, string> = {};
    for (const path of ['/', '/roomkey-client.js', '/demo/app.js', '/demo/style.css', '/demo/config.json']) {
      const response = await fetch(`${url(framework)}${path}`);
      expect(response.status).toBe(200);
      types[path] = response.headers.get('content-type') ?? '';
      if (path === '/') {
        const csp = response.headers.get('content-security-policy') ?? '';
        expect(csp).toContain("script-src 'self'");
        expect(csp).not.toContain('unsafe');
        expect(await response.text()).not.toMatch(/<script(?![^>]*\bsrc=)/);
      }
    }
    expect(types).toEqual({
      '/': 'text/html; charset=utf-8',
      '/roomkey-client.js': 'text/javascript; charset=utf-8',
      '/demo/app.js': 'text/javascript; charset=utf-8',
      '/demo/style.css': 'text/css; charset=utf-8',
      '/demo/config.json': 'application/json; charset=utf-8',
    });
    const post = await fetch(`${url(framework)}/`, { method: 'POST' });
    expect([post.status, post.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
    // Without RED5PRO_HOST, the SDK is not served and the page hides its media section.
    expect((await fetch(`${url(framework)}/demo/red5pro-sdk.min.js`)).status).toBe(404);
  });
});
