import { createHmac } from 'node:crypto';
import { createTurnCredentialSigner, generateSecret } from '@roomkey/core';
import { describe, expect, it } from 'vitest';
import { roomkey, scratchFile } from './support/run.js';

const SECRET = generateSecret();
const URLS = 'turn:turn.example.com:3478?transport=udp,turns:turn.example.com:5349?transport=tcp';
const ENV = { TURN_SECRET: SECRET, TURN_URLS: URLS };

/** The TURN REST API password, computed here independently of the code under test. */
const hmacSha1Base64 = (secret: string, username: string) =>
  createHmac('sha1', Buffer.from(secret, 'utf8')).update(username, 'utf8').digest('base64');

interface Printed {
  iceServers: { urls: string[]; username?: string; credential?: string }[];
  expiresAt: string;
}

describe('roomkey sign turn', () => {
  it('prints { iceServers, expiresAt } whose credential is base64(HMAC-SHA1(TURN_SECRET, <expiry>:<subject>))', async () => {
    const before = Math.floor(Date.now() / 1000);
    const result = await roomkey(['sign', 'turn', '--subject', 'alice@example.com', '--ttl', '1h'], ENV);
    const after = Math.floor(Date.now() / 1000);
    expect(result.code, result.stderr).toBe(0);
    const printed = JSON.parse(result.stdout) as Printed;
    const [server] = printed.iceServers;
    expect(printed.iceServers).toHaveLength(1);
    expect(server?.urls).toEqual(URLS.split(','));
    const [expiry, user] = (server?.username ?? '').split(/:(.*)/s);
    expect(user).toBe('alice@example.com');
    expect(Number(expiry)).toBeGreaterThanOrEqual(before + 3600);
    expect(Number(expiry)).toBeLessThanOrEqual(after + 3600);
    expect(server?.credential).toBe(hmacSha1Base64(SECRET, server?.username ?? ''));
    expect(Date.parse(printed.expiresAt)).toBe(Number(expiry) * 1000);
    expect(result.stdout).not.toContain(SECRET);
  });

  it('takes the URIs from --urls, the secret from --secret-file, and puts stun: URIs in an entry without credentials', async () => {
    const file = scratchFile('turn-secret', `${SECRET}\n`);
    const result = await roomkey(
      ['sign', 'turn', '--subject', 'bob', '--urls', 'stun:stun.example.com, turn:192.0.2.1', '--secret-file', file],
      {},
    );
    expect(result.code, result.stderr).toBe(0);
    const { iceServers } = JSON.parse(result.stdout) as Printed;
    expect(iceServers[0]?.urls).toEqual(['turn:192.0.2.1']);
    expect(iceServers[0]?.credential).toBe(hmacSha1Base64(SECRET, iceServers[0]?.username ?? ''));
    expect(iceServers[1]).toEqual({ urls: ['stun:stun.example.com'] });
  });

  it.each([
    ['no secret', ['--subject', 'alice'], { TURN_URLS: URLS }, /set TURN_SECRET or pass --secret-file/],
    ['no URIs', ['--subject', 'alice'], { TURN_SECRET: SECRET }, /set TURN_URLS or pass --urls/],
    [
      'a weak secret',
      ['--subject', 'alice'],
      { ...ENV, TURN_SECRET: 'short-secret' },
      /^error: TURN_SECRET: secret is too short/m,
    ],
    [
      'a malformed URI',
      ['--subject', 'alice'],
      { ...ENV, TURN_URLS: 'turn://x.example' },
      /TURN_URLS: urls\[0\] must not have \/\//,
    ],
    ['a user id containing ":"', ['--subject', 'team:alice'], ENV, /cannot sign: the TURN user id contains ":"/],
    ['a lifetime over a week', ['--subject', 'alice', '--ttl', '169h'], ENV, /at most 168h/],
    ['a lifetime under a minute', ['--subject', 'alice', '--ttl', '30s'], ENV, /TURN credentials live at least 60s/],
  ])('exits 2 with what to fix for %s, echoing no secret', async (_, args, env, message) => {
    const result = await roomkey(['sign', 'turn', ...args], env);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toContain(SECRET);
    expect(result.stderr).not.toContain('short-secret');
  });
});

describe('roomkey inspect: TURN credentials', () => {
  const signer = createTurnCredentialSigner({ secret: SECRET, urls: URLS.split(',') });

  it('accepts what sign turn printed, piped in, with TURN_SECRET: exit 0, the user and the expiry', async () => {
    const signed = await roomkey(['sign', 'turn', '--subject', 'carol', '--ttl', '30m'], ENV);
    const result = await roomkey(['inspect', '--json'], { TURN_SECRET: SECRET }, signed.stdout);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ kind: 'turn', verdict: 'accepted', signatureChecked: true });
    expect(report.expiresAt).toBe(JSON.parse(signed.stdout).expiresAt);
    expect(report.explained.find((entry: { claim: string }) => entry.claim === 'user').value).toBe('carol');
    expect(result.stdout).not.toContain(JSON.parse(signed.stdout).iceServers[0].credential);
  });

  it('reads <username>:<credential>, and the turn entry of a /tokens answer', async () => {
    const [server] = signer.issue('dave', 600).iceServers;
    const colon = await roomkey(['inspect', `${server?.username}:${server?.credential}`], { TURN_SECRET: SECRET });
    expect(colon.code, colon.stdout).toBe(0);
    expect(colon.stdout).toMatch(/ACCEPTED/);
    const answer = JSON.stringify({ identity: 'dave', tokens: { turn: signer.issue('dave', 600) } });
    const piped = await roomkey(['inspect', '-'], { TURN_SECRET: SECRET }, answer);
    expect(piped.code, piped.stdout).toBe(0);
  });

  it('refuses credentials made with another secret (exit 1, rule signature)', async () => {
    const [server] = signer.issue('erin', 600).iceServers;
    const result = await roomkey(['inspect', `${server?.username}:${server?.credential}`], {
      TURN_SECRET: generateSecret(),
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/REFUSED \(rule: signature\)/);
  });

  it('refuses expired credentials (exit 1, rule expiry) and says when they expired', async () => {
    const past = createTurnCredentialSigner({
      secret: SECRET,
      urls: URLS.split(','),
      clock: { now: () => Date.now() - 7_200_000 },
    });
    const [server] = past.issue('frank', 3600).iceServers;
    const result = await roomkey(['inspect', `${server?.username}:${server?.credential}`], { TURN_SECRET: SECRET });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/REFUSED \(rule: expiry\): the token expired 60 minutes ago/);
  });

  it('without TURN_SECRET, shows the user and expiry and says the signature was not checked (exit 0)', async () => {
    const [server] = signer.issue('gina', 600).iceServers;
    const result = await roomkey(['inspect', '--json', `${server?.username}:${server?.credential}`]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ kind: 'turn', verdict: 'unverified', signatureChecked: false });
  });
});
