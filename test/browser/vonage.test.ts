/**
 * The README's Vonage recipe in Chromium with Vonage's own browser SDK (@vonage/client-sdk-video):
 * a `vonage` token from @roomkey/client handed to `session.connect(token)`. There are no Vonage
 * servers here: every request the SDK makes is intercepted, recorded and refused, so this proves
 * that the SDK accepts the token and sends it to Vonage, not that Vonage accepts it.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSecret } from '@roomkey/core';
import { jwtVerify } from 'jose';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type RunningExample, startExample } from '../examples/run-example.js';
import { launchChromium } from './support/chromium.js';

const APPLICATION_ID = '0d5e6f7a-8b9c-4d0e-9f1a-2b3c4d5e6f70';
const SESSION_ID = `1_${Buffer.from(`1~${APPLICATION_ID}~~Sun Nov 22 2026~recipe~~`).toString('base64url')}`;
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const keyFile = join(mkdtempSync(join(tmpdir(), 'roomkey-vonage-')), 'private.key');
writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
const opentok = readFileSync(createRequire(import.meta.url).resolve('@vonage/client-sdk-video'));

let example: RunningExample;
let browser: Browser;

beforeAll(async () => {
  [example, browser] = await Promise.all([
    startExample('express', {
      RED5PRO_JWT_SECRET: generateSecret(),
      VONAGE_APPLICATION_ID: APPLICATION_ID,
      VONAGE_PRIVATE_KEY: keyFile,
    }),
    launchChromium(),
  ]);
}, 30_000);
afterAll(async () => {
  await browser?.close();
  await example?.stop();
});

interface Outgoing {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string | null;
}

it('session.connect(token): the SDK takes the vonage token and sends it to Vonage', async () => {
  const context = await browser.newContext();
  const { hostname, port } = new URL(example.url);
  await context.addCookies([{ name: 'roomkey_demo', value: 'demo-bob', domain: hostname, path: '/' }]);
  const outgoing: Outgoing[] = [];
  await context.route('**/*', async (route) => {
    const request = route.request();
    const url = new URL(request.url());
    if (url.hostname === hostname && url.port === port) {
      if (url.pathname === '/vonage-recipe') {
        return route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>Vonage recipe</title>' });
      }
      if (url.pathname === '/opentok.js') return route.fulfill({ contentType: 'text/javascript', body: opentok });
      return route.continue(); // /roomkey-client.js and /tokens: the real example server
    }
    outgoing.push({ url: request.url(), headers: request.headers(), body: request.postData() });
    return route.abort('connectionrefused');
  });
  const page = await context.newPage();
  await page.goto(`${example.url}/vonage-recipe`);
  await page.addScriptTag({ url: '/opentok.js' });

  const result = (await page.evaluate(`(async () => {
    // --- the recipe ---
    const { createTokenClient } = await import('/roomkey-client.js');
    const client = createTokenClient({ url: '/tokens' });
    const { tokens } = await client.get({ session: ${JSON.stringify(SESSION_ID)} });
    const session = OT.initSession(${JSON.stringify(APPLICATION_ID)}, ${JSON.stringify(SESSION_ID)});
    const error = await new Promise((resolve) => session.connect(tokens.vonage.token, resolve));
    // --- end of the recipe ---
    return { token: tokens.vonage.token, error: error ? { name: error.name, message: String(error.message) } : null };
  })()`)) as { token: string; error: { name: string; message: string } | null };

  // The token is Vonage's client JWT, signed with the application's key.
  const { payload } = await jwtVerify(result.token, publicKey, { algorithms: ['RS256'] });
  expect(payload).toMatchObject({ scope: 'session.connect', session_id: SESSION_ID, application_id: APPLICATION_ID });
  // What the SDK really does with it: X-TB-TOKEN-AUTH on its configuration request, then
  // X-OPENTOK-AUTH on the session lookup that starts every connect.
  const lookup = outgoing.find((request) => new URL(request.url).pathname === `/session/${SESSION_ID}`);
  expect(lookup?.headers['x-opentok-auth']).toBe(result.token);
  const config = outgoing.find((request) => request.url.endsWith(`/project/${APPLICATION_ID}/config.json`));
  expect(config?.headers['x-tb-token-auth']).toBe(result.token);
  // With the network refused, connect reports its failure to the page.
  expect(result.error?.name).toBe('OT_CONNECT_FAILED');
  await context.close();
});
