/**
 * `roomkey sign livekit` and `roomkey inspect` on LiveKit tokens: what the command signs,
 * livekit-server-sdk's TokenVerifier accepts; inspect explains a token it did not write.
 */
import { generateKeyPairSync } from 'node:crypto';
import { readPlatformEnvironment } from '@roomkey/cli';
import { BUILT_IN_PLATFORMS, generateSecret } from '@roomkey/core';
import { AccessToken, TokenVerifier } from 'livekit-server-sdk';
import { describe, expect, it } from 'vitest';
import { roomkey } from './support/run.js';

const API_KEY = 'APIcli';
const API_SECRET = generateSecret();
const ENV = { LIVEKIT_API_KEY: API_KEY, LIVEKIT_API_SECRET: API_SECRET };

describe('roomkey sign livekit', () => {
  it('signs a token for the room and role that the SDK verifier accepts, and prints only it', async () => {
    const result = await roomkey(
      ['sign', 'livekit', '--subject', 'obs', '--room', 'stage', '--role', 'publisher-only', '--ttl', '30m'],
      ENV,
    );
    expect(result.code, result.stderr).toBe(0);
    const token = result.stdout.trim();
    expect(result.stdout).toBe(`${token}\n`);
    const claims = await new TokenVerifier(API_KEY, API_SECRET).verify(token);
    expect(claims).toMatchObject({
      iss: API_KEY,
      sub: 'obs',
      video: { room: 'stage', roomJoin: true, canPublish: true, canSubscribe: false, canPublishData: false },
    });
    expect((claims.exp as number) - (claims.nbf as number)).toBe(1800);
    expect(result.stderr).not.toContain(API_SECRET);
  });

  it('refuses without the key and secret (exit 2), a short secret, and more than 6 hours', async () => {
    const missing = await roomkey(['sign', 'livekit', '--subject', 's', '--room', 'r', '--role', 'subscriber'], {});
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/LIVEKIT_API_KEY and LIVEKIT_API_SECRET/);
    const short = await roomkey(['sign', 'livekit', '--subject', 's', '--room', 'r', '--role', 'subscriber'], {
      LIVEKIT_API_KEY: API_KEY,
      LIVEKIT_API_SECRET: 'short',
    });
    expect(short.code).toBe(2);
    expect(short.stderr).toMatch(/LIVEKIT_API_SECRET is too short/);
    const long = await roomkey(
      ['sign', 'livekit', '--subject', 's', '--room', 'r', '--role', 'subscriber', '--ttl', '7h'],
      ENV,
    );
    expect(long.code).toBe(2);
    const escaped = await roomkey(
      ['sign', 'livekit', '--subject', 'ann\u001b[31m', '--room', 'r', '--role', 'subscriber'],
      ENV,
    );
    expect(escaped.code).toBe(2);
    expect(escaped.stderr).toMatch(/identity must be/);
    expect(escaped.stdout + escaped.stderr).not.toContain('\u001b');
  });
});

describe('roomkey inspect on LiveKit tokens', () => {
  it('explains a token from the SDK: accepted with the secret, each right in words', async () => {
    const at = new AccessToken(API_KEY, API_SECRET, { identity: 'ann', ttl: 600 });
    at.addGrant({ room: 'stage', roomJoin: true, canPublish: true, canSubscribe: true, canPublishData: false });
    const result = await roomkey(['inspect', '--json'], ENV, `${await at.toJwt()}\n`);
    expect(result.code, result.stdout).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ kind: 'livekit', verdict: 'accepted', signatureChecked: true });
    expect(report.checks.map((check: { rule: string }) => check.rule)).toEqual([
      'algorithm',
      'signature',
      'issuer',
      'expiry',
      'not before',
      'join',
      'rights written out',
    ]);
    expect(report.explained).toContainEqual(expect.objectContaining({ claim: 'video.canPublish', value: true }));
  });

  it('refuses a token whose rights are left out (LiveKit would grant them) and one of another secret', async () => {
    const open = new AccessToken(API_KEY, API_SECRET, { identity: 'ann' });
    open.addGrant({ room: 'stage', roomJoin: true });
    const openResult = await roomkey(['inspect'], ENV, `${await open.toJwt()}\n`);
    expect(openResult.code).toBe(1);
    expect(openResult.stdout).toMatch(/REFUSED \(rule: rights written out\)/);
    const other = new AccessToken(API_KEY, generateSecret(), { identity: 'ann' });
    other.addGrant({ room: 'stage', roomJoin: true, canPublish: false, canSubscribe: true, canPublishData: false });
    const otherResult = await roomkey(['inspect'], ENV, `${await other.toJwt()}\n`);
    expect(otherResult.code).toBe(1);
    expect(otherResult.stdout).toMatch(/REFUSED \(rule: signature\)/);
    // Without the secret: explained, but not verified.
    const unverified = await roomkey(['inspect'], {}, `${await other.toJwt()}\n`);
    expect(unverified.code).toBe(0);
    expect(unverified.stdout).toMatch(/SIGNATURE NOT CHECKED/);
  });
});

describe('roomkey inspect on a token written to attack the terminal', () => {
  // A token under inspection comes from anywhere: its strings must not reach the terminal as
  // escape sequences (clear the screen, set the window title, forge a verdict line).
  const hostile = (header: object, claims: object) =>
    `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.c2ln`;
  const ESC = '\u001b[2J\u001b]0;title\u0007\rACCEPTED\u009b';
  // Every control character but the line breaks the report is written in.
  const hasControl = (text: string) => [...text].some((character) => character !== '\n' && /\p{Cc}/u.test(character));

  it('prints control characters of a LiveKit or Red5 Pro token escaped, never raw', async () => {
    for (const token of [
      hostile(
        { alg: 'HS256' },
        { iss: 'k', sub: `ann${ESC}`, nbf: 1, exp: 4e9, video: { room: `r${ESC}`, roomJoin: true, [`x${ESC}`]: 1 } },
      ),
      hostile(
        { alg: 'HS256', typ: `JWT${ESC}` },
        { sub: `ann${ESC}`, roles: 'red5-publisher', 'red5-room': `r${ESC}`, exp: 4e9 },
      ),
    ]) {
      const result = await roomkey(['inspect'], {}, `${token}\n`);
      expect(result.stdout).toMatch(/\\u001b/);
      expect(hasControl(result.stdout)).toBe(false);
      expect(hasControl(result.stderr)).toBe(false);
    }
  });
});

describe("the platforms' environment variables, from the registry", () => {
  it('LIVEKIT_* give serve a LiveKit signer and the livekit token, as each platform declares its own', () => {
    const { platforms, tokenNames } = readPlatformEnvironment({ ...ENV, LIVEKIT_URL: 'wss://media.example.test' });
    expect(tokenNames).toEqual(['livekit']);
    expect(platforms.livekit).toMatchObject({ apiKey: API_KEY, url: 'wss://media.example.test' });
    expect(BUILT_IN_PLATFORMS.flatMap((platform) => platform.env?.variables ?? [])).toEqual(
      expect.arrayContaining([
        'RED5PRO_JWT_SECRET',
        'RED5_MASTER_KEY',
        'VONAGE_PRIVATE_KEY',
        'OPENTOK_API_KEY',
        'LIVEKIT_URL',
      ]),
    );
  });

  it('names the variable to fix, never the secret, and refuses two platforms issuing one token', () => {
    expect(() => readPlatformEnvironment({ LIVEKIT_API_KEY: API_KEY, LIVEKIT_API_SECRET: 'short' })).toThrow(
      /^LIVEKIT_\*: livekit\.apiSecret is too short/,
    );
    expect(() => readPlatformEnvironment({ LIVEKIT_API_KEY: API_KEY })).toThrow(
      'set LIVEKIT_API_KEY and LIVEKIT_API_SECRET together (or neither)',
    );
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const both = () =>
      readPlatformEnvironment({
        OPENTOK_API_KEY: '12345',
        OPENTOK_API_SECRET: generateSecret(),
        VONAGE_APPLICATION_ID: '0d5e6f7a-8b9c-4d0e-9f1a-2b3c4d5e6f70',
        VONAGE_PRIVATE_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      });
    expect(both).toThrow('set either VONAGE_* or OPENTOK_* variables: both issue the "vonage" token');
  });
});
