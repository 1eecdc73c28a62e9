import { encodeRed5MasterSecret, generateSecret } from '@roomkey/core';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { roomkey, scratchFile } from './support/run.js';

const SECRET = generateSecret();
// What `S="$(npx --yes pnpm@10 roomkey secret)"` captures in the repository: pnpm's banner, then
// the secret ($(…) strips only the trailing newline).
const captured = (secret: string) =>
  `\n> roomkey-monorepo@ roomkey /work/roomkey\n> node packages/cli/bin/roomkey.js secret\n\n${secret}`;
const CAUSE = /contains a line break: was it captured together with command output\?.*pnpm --silent roomkey secret/;
const KEYS = [
  {
    name: 'backend',
    sha256: 'a'.repeat(64),
    users: ['kiosk-*'],
    role: 'subscriber',
    rooms: ['lobby'],
    platforms: ['red5pro'],
    transports: ['WHEP'],
  },
];
const masterKey = '0123456789abcdef0123456789abcdef';
const masterSecret = encodeRed5MasterSecret(masterKey, {
  conferenceSecret: generateSecret(),
  pubnubSecretKey: 'sec-c-ZmFrZS1wdWJudWItc2VjcmV0LWtleQ',
  pubnubPublishKey: 'pub-c-test',
  pubnubSubscribeKey: 'sub-c-test',
  streamManagerHost: 'sm.cloud.red5.example',
});
const OPENTOK_API_SECRET = generateSecret();
const SIGN = ['sign', 'red5pro', '--subject', 'a', '--role', 'subscriber', '--room', 'r', '--transports', 'WHEP'];

describe('a secret captured with command output', () => {
  it('roomkey sign signs with the secret alone (the arguments below are complete)', async () => {
    const result = await roomkey(SIGN, { RED5PRO_JWT_SECRET: SECRET });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^eyJ/);
  });

  it('roomkey sign refuses it from RED5PRO_JWT_SECRET or --secret-file, naming the cause and not the secret', async () => {
    const fromEnv = await roomkey(SIGN, {
      RED5PRO_JWT_SECRET: captured(SECRET),
    });
    expect(fromEnv.code).toBe(2);
    expect(fromEnv.stdout).toBe('');
    expect(fromEnv.stderr).toMatch(/RED5PRO_JWT_SECRET: secret contains a line break/);
    expect(fromEnv.stderr).toMatch(CAUSE);
    expect(fromEnv.stderr).not.toContain(SECRET);
    const file = scratchFile('secret', `${captured(SECRET)}\n`);
    const fromFile = await roomkey([
      'sign',
      'red5pro',
      '--secret-file',
      file,
      '--subject',
      'a',
      '--role',
      'subscriber',
      '--room',
      'r',
      '--transports',
      'WHEP',
    ]);
    expect(fromFile.code).toBe(2);
    expect(fromFile.stdout).toBe('');
    expect(fromFile.stderr).toMatch(/--secret-file: secret contains a line break/);
    expect(fromFile.stderr).not.toContain(SECRET);
  });

  it.each([
    ['RED5PRO_JWT_SECRET', { RED5PRO_JWT_SECRET: captured(SECRET) }, SECRET],
    [
      'RED5_MASTER_SECRET',
      { RED5PRO_JWT_SECRET: SECRET, RED5_MASTER_KEY: masterKey, RED5_MASTER_SECRET: captured(masterSecret) },
      masterSecret,
    ],
    [
      'OPENTOK_API_SECRET',
      { RED5PRO_JWT_SECRET: SECRET, OPENTOK_API_KEY: '123456', OPENTOK_API_SECRET: `${OPENTOK_API_SECRET}\n` },
      OPENTOK_API_SECRET,
    ],
  ])('roomkey serve --check refuses it in %s: no "configuration OK"', async (variable, env, secret) => {
    const config = scratchFile('roomkey.json', JSON.stringify({ identity: { service: { keys: KEYS } } }));
    const result = await roomkey(['serve', '--check', '--config', config], env);
    expect(result.code).toBe(2);
    expect(result.stdout).not.toMatch(/configuration OK/);
    expect(result.stderr).toContain(variable);
    expect(result.stderr).toMatch(CAUSE);
    expect(result.stderr).not.toContain(secret);
  });

  it('roomkey serve --check still says OK for the same secrets without the extra lines', async () => {
    const config = scratchFile('roomkey.json', JSON.stringify({ identity: { service: { keys: KEYS } } }));
    const result = await roomkey(['serve', '--check', '--config', config], {
      RED5PRO_JWT_SECRET: SECRET,
      RED5_MASTER_KEY: masterKey,
      RED5_MASTER_SECRET: masterSecret,
    });
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/configuration OK/);
  });
});

describe('roomkey inspect still diagnoses a secret with extra lines (it checks, it does not sign)', () => {
  const token = () =>
    new SignJWT({ sub: 'a' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(Buffer.from(SECRET));

  it('a secret followed by a newline: says to remove the white space', async () => {
    const result = await roomkey(['inspect', '--json'], { RED5PRO_JWT_SECRET: `${SECRET}\n` }, await token());
    expect(result.stdout).toMatch(/signed with the secret without its surrounding white space/);
    expect(result.stdout).not.toContain(SECRET);
  });

  it('a secret captured with command output: says the token was signed with its last line', async () => {
    const result = await roomkey(['inspect', '--json'], { RED5PRO_JWT_SECRET: captured(SECRET) }, await token());
    expect(result.stdout).toMatch(/signed with the last line of the secret/);
    expect(result.stdout).toMatch(/pnpm --silent roomkey secret/);
    expect(result.stdout).not.toContain(SECRET);
  });
});
