import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Key pairs are slow to make: one 2048-bit pair per test file, exported in every form tests need. */
export function rsaKeys(bits = 2048) {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const pkcs1 = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const file = join(mkdtempSync(join(tmpdir(), 'roomkey-key-')), 'private.key');
  writeFileSync(file, pkcs8, { mode: 0o600 });
  return { privateKey, publicKey: publicKey as KeyObject, pkcs8, pkcs1, publicPem, file };
}

export const APPLICATION_ID = '8c4e9a0d-3f7b-4c1a-9e2d-5b6a7c8d9e0f';
export const API_KEY = '47123456';
export const API_SECRET = 'a3f1c0ffee0ddba11deadbeefcafebabe0123456';

/** A session id whose base64 body names `apiKey`, the way Vonage's session ids do (`1_MX4…`). */
export function sessionIdFor(apiKey: string, suffix = 'session'): string {
  return `1_${Buffer.from(`1~${apiKey}~~Sun Nov 22 07:00:00 PST 2026~${suffix}~~`).toString('base64url')}`;
}
