import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  createTurnCredentialSigner,
  TURN_DEFAULT_TTL_MINUTES,
  TURN_MAX_USER_ID_BYTES,
  type TurnCredentialSignerOptions,
  verifyTurnCredential,
} from '../src/index.js';
import {
  errorText,
  expectRoomkeyError,
  expectTypeError,
  frozenClock,
  NOW_MS,
  NOW_S,
  OTHER_SECRET,
  SAMPLE_SECRET,
  SECRET,
} from './support/fixtures.js';

const URLS = ['turn:turn.example.com:3478?transport=udp', 'turns:turn.example.com:5349?transport=tcp'];

function makeTurnSigner(options: Partial<TurnCredentialSignerOptions> = {}) {
  return createTurnCredentialSigner({ secret: SECRET, urls: URLS, clock: frozenClock(), ...options });
}

/** The TURN REST API password, computed here independently of the code under test. */
const hmacSha1Base64 = (secret: string, username: string) =>
  createHmac('sha1', Buffer.from(secret, 'utf8')).update(username, 'utf8').digest('base64');

describe('createTurnCredentialSigner: issue', () => {
  it('writes <expiry>:<user id> and base64(HMAC-SHA1(secret, username)), the default 12 hours ahead', () => {
    const { iceServers, expiresAt } = makeTurnSigner().issue('alice');
    const expiry = NOW_S + TURN_DEFAULT_TTL_MINUTES * 60;
    expect(TURN_DEFAULT_TTL_MINUTES).toBe(720);
    expect(iceServers).toEqual([
      { urls: URLS, username: `${expiry}:alice`, credential: hmacSha1Base64(SECRET, `${expiry}:alice`) },
    ]);
    expect(expiresAt.toISOString()).toBe('2026-11-22T19:00:00.000Z');
  });

  it('chooses a shorter lifetime when asked, caps a longer one at ttlMinutes, and refuses one under 60 s', async () => {
    const signer = makeTurnSigner({ ttlMinutes: 60 });
    expect(signer.maxTtlSeconds).toBe(3600);
    expect(signer.issue('alice', 600).iceServers[0]?.username).toBe(`${NOW_S + 600}:alice`);
    expect(signer.issue('alice', 86_400).expiresAt.getTime()).toBe(NOW_MS + 3_600_000);
    await expectRoomkeyError(() => signer.issue('alice', 59), 'invalid_claim');
    await expectRoomkeyError(() => signer.issue('alice', 90.5), 'invalid_claim');
  });

  it('puts stun: URIs in an entry of their own, without credentials, after the TURN entry', () => {
    const signer = makeTurnSigner({ urls: ['stun:stun.example.com', 'turn:192.0.2.7', 'stun:[2001:db8::1]:3478'] });
    const { iceServers } = signer.issue('bob');
    expect(iceServers).toHaveLength(2);
    expect(iceServers[0]?.urls).toEqual(['turn:192.0.2.7']);
    expect(iceServers[0]?.credential).toMatch(/^[A-Za-z0-9+/]{27}=$/);
    expect(iceServers[1]).toEqual({ urls: ['stun:stun.example.com', 'stun:[2001:db8::1]:3478'] });
  });

  it('hands out fresh arrays: changing one answer changes no later one', () => {
    const signer = makeTurnSigner();
    signer.issue('alice').iceServers[0]?.urls.push('turn:evil.example');
    expect(signer.issue('alice').iceServers[0]?.urls).toEqual(URLS);
  });

  it('uses a configured separator, as coturn does with rest-api-separator', () => {
    const signer = makeTurnSigner({ separator: '#' });
    const username = signer.issue('team:alice', 120).iceServers[0]?.username;
    expect(username).toBe(`${NOW_S + 120}#team:alice`);
    expect(() => signer.issue('a#b')).toThrow(/contains "#"/);
  });

  it('follows the clock: the same user a second later gets another username and credential', () => {
    let now = NOW_MS;
    const signer = makeTurnSigner({ clock: { now: () => now } });
    const first = signer.issue('alice').iceServers[0];
    now += 1000;
    const second = signer.issue('alice').iceServers[0];
    expect(second?.username).not.toBe(first?.username);
    expect(second?.credential).not.toBe(first?.credential);
  });
});

describe('createTurnCredentialSigner: user ids', () => {
  const signer = makeTurnSigner();

  it.each([
    ['the separator', 'team:alice', /contains ":"/],
    ['a control character', 'alice\u0000admin', /control character/],
    ['an invisible character', 'al\u200bice', /invisible/],
    ['text not in NFC', 'Ame\u0301lie', /NFC/],
    ['an empty id', '', /non-empty/],
  ])('refuses %s as invalid_claim without repeating the id', async (_, userId, message) => {
    const error = await expectRoomkeyError(() => signer.issue(userId), 'invalid_claim');
    expect(error.message).toMatch(message);
    if (userId.length > 3) expect(errorText(error)).not.toContain(userId);
    await expectRoomkeyError(() => signer.checkUserId(userId), 'invalid_claim');
  });

  it(`takes ids of up to ${TURN_MAX_USER_ID_BYTES} bytes of UTF-8, so the username stays under STUN's 509`, async () => {
    const longest = `${'é'.repeat((TURN_MAX_USER_ID_BYTES - 1) / 2)}x`;
    expect(Buffer.byteLength(longest)).toBe(TURN_MAX_USER_ID_BYTES);
    const username = signer.issue(longest).iceServers[0]?.username ?? '';
    expect(Buffer.byteLength(username)).toBeLessThan(509);
    const error = await expectRoomkeyError(() => signer.issue(`${longest}y`), 'invalid_claim');
    expect(error.message).toMatch(new RegExp(`498 bytes of UTF-8; at most ${TURN_MAX_USER_ID_BYTES}`));
    expect(error.message).not.toContain('éé');
  });

  it('accepts the ids the issuing pipeline accepts: e-mail addresses, spaces inside, non-Latin scripts', () => {
    for (const userId of ['alice@example.com', 'Alice Smith', '山田太郎', 'user-42']) {
      expect(() => signer.checkUserId(userId)).not.toThrow();
    }
  });
});

describe('createTurnCredentialSigner: configuration', () => {
  it('refuses a missing, short, patterned or sample secret, naming TURN and never the secret', async () => {
    await expectTypeError(() => makeTurnSigner({ secret: undefined }), /static-auth-secret.*TURN_SECRET/);
    const short = await expectTypeError(() => makeTurnSigner({ secret: 'tooshort-secret' }), /too short/);
    expect(errorText(short)).not.toContain('tooshort-secret');
    await expectTypeError(() => makeTurnSigner({ secret: 'ab'.repeat(20) }), /pattern|repeated/);
    const sample = await expectTypeError(() => makeTurnSigner({ secret: SAMPLE_SECRET }), /sample secret/);
    expect(errorText(sample)).not.toContain(SAMPLE_SECRET);
  });

  it.each([
    [[], /non-empty array/],
    ['turn:turn.example.com', /non-empty array/],
    [['turn://turn.example.com'], /urls\[0\] must not have \/\/ after turn:/],
    [['TURN:turn.example.com'], /lower case \(turn:\)/],
    [['http://turn.example.com'], /must start with turn:, turns: or stun:/],
    [['stuns:stun.example.com'], /stuns: URI, which browsers do not support/],
    [['turn:user:pass@turn.example.com'], /user information/],
    [['turn:turn.example.com:0'], /port that is not a number from 1 to 65535/],
    [['turn:turn.example.com:65536'], /port that is not a number from 1 to 65535/],
    [['turn:turn.example.com:34x'], /port that is not/],
    [['turn:'], /has no host/],
    [['turn:turn_server.example'], /neither a DNS name/],
    [['turn:turn.example.com/path'], /must not have a path/],
    [['turn:turn.example.com?transport=sctp'], /\?transport=udp or \?transport=tcp/],
    [['turns:turn.example.com:5349?transport=udp'], /DTLS/],
    [['stun:stun.example.com?transport=udp'], /stun: URIs take none/],
    [['turn:turn.example.com ', 'x'], /urls\[0\] contains a space/],
    [['turn:a.example', 'turn:a.example'], /urls\[1\] repeats/],
    [['stun:stun.example.com'], /no turn: or turns: URI/],
    // Bracketed, but no IPv6 address: start-up is where such a typo is caught, not a silent
    // gathering without a relay in every browser.
    [['turn:[:::::::::]:3478'], /neither a DNS name, an IPv4 address nor an IPv6 address/],
    [['turn:[192.0.2.1]:3478'], /neither a DNS name, an IPv4 address nor an IPv6 address/],
    [['turn:[2001:db8::1::2]'], /neither a DNS name, an IPv4 address nor an IPv6 address/],
    // A host whose last label is a number is an IPv4 address to a URL parser, and these are none.
    [['turn:256.1.1.1:3478'], /neither a DNS name, an IPv4 address nor an IPv6 address/],
    [['turn:192.0.2:3478'], /neither a DNS name, an IPv4 address nor an IPv6 address/],
    [['turn:3478'], /neither a DNS name, an IPv4 address nor an IPv6 address/],
  ])('refuses urls %j with a message saying what to fix', async (urls, message) => {
    await expectTypeError(() => makeTurnSigner({ urls: urls as string[] }), message);
  });

  it('accepts RFC 7064/7065 URIs: DNS names, IPv4, bracketed IPv6, ports and transports', () => {
    const urls = [
      'turn:turn.example.com',
      'turn:192.0.2.1:3478?transport=udp',
      'turn:[2001:db8::1]:3478?transport=tcp',
      'turn:[::ffff:192.0.2.1]',
      'turn:turn1.example.com:3478',
      'turns:turn.example.com:443?transport=tcp',
      'turns:turn.example.com',
      'stun:127.0.0.1:19302',
    ];
    expect(
      makeTurnSigner({ urls })
        .issue('a')
        .iceServers.flatMap((server) => server.urls),
    ).toEqual(urls);
  });

  it('refuses a lifetime outside 1 minute to a week, an odd separator and an unknown option', async () => {
    await expectTypeError(() => makeTurnSigner({ ttlMinutes: 0 }), /from 1 to 10080/);
    await expectTypeError(() => makeTurnSigner({ ttlMinutes: 10_081 }), /from 1 to 10080/);
    await expectTypeError(() => makeTurnSigner({ ttlMinutes: 1.5 }), /whole number/);
    await expectTypeError(() => makeTurnSigner({ separator: 'ab' }), /one ASCII punctuation character/);
    await expectTypeError(() => makeTurnSigner({ separator: 'x' }), /one ASCII punctuation character/);
    await expectTypeError(
      () => createTurnCredentialSigner({ secret: SECRET, urls: URLS, ttlMinute: 5 } as TurnCredentialSignerOptions),
      /did you mean "ttlMinutes"/,
    );
  });
});

describe('verifyTurnCredential', () => {
  const issued = makeTurnSigner({ ttlMinutes: 60 }).issue('alice').iceServers[0];
  const pair = { username: issued?.username ?? '', credential: issued?.credential ?? '' };

  it('says valid, with the user and expiry, up to and including the expiry second', () => {
    const verdict = verifyTurnCredential(pair, { secret: SECRET, clock: frozenClock(NOW_MS + 3_600_999) });
    expect(verdict).toMatchObject({ status: 'valid', userId: 'alice', secretIndex: 0 });
    expect(verdict.expiresAt?.getTime()).toBe(NOW_MS + 3_600_000);
  });

  it('says expired one second after the expiry', () => {
    const verdict = verifyTurnCredential(pair, { secret: SECRET, clock: frozenClock(NOW_MS + 3_601_000) });
    expect(verdict.status).toBe('expired');
  });

  it('says signature_invalid for another secret, an altered username or another spelling of the bytes', () => {
    expect(verifyTurnCredential(pair, { secret: OTHER_SECRET, clock: frozenClock() }).status).toBe('signature_invalid');
    const later = { ...pair, username: pair.username.replace(/^\d+/, String(NOW_S + 7200)) };
    expect(verifyTurnCredential(later, { secret: SECRET, clock: frozenClock() }).status).toBe('signature_invalid');
    const other = { ...pair, username: pair.username.replace('alice', 'mallory') };
    expect(verifyTurnCredential(other, { secret: SECRET, clock: frozenClock() }).status).toBe('signature_invalid');
  });

  it('finds the secret among several while rotating', () => {
    const verdict = verifyTurnCredential(pair, { secrets: [OTHER_SECRET, SECRET], clock: frozenClock() });
    expect(verdict).toMatchObject({ status: 'valid', secretIndex: 1 });
  });

  it.each([
    ['no separator', { username: '1796000000alice', credential: pair.credential }],
    ['no user', { username: '1796000000:', credential: pair.credential }],
    ['an expiry of 0 (coturn: never expires)', { username: '0:alice', credential: pair.credential }],
    ['a user before the expiry', { username: 'alice:1796000000', credential: pair.credential }],
    ['a credential that is not 20 bytes of base64', { username: pair.username, credential: 'c2VjcmV0' }],
    ['a credential that is not a string', { username: pair.username, credential: 42 }],
  ])('says malformed for %s', (_, candidate) => {
    const verdict = verifyTurnCredential(candidate as typeof pair, { secret: SECRET, clock: frozenClock() });
    expect(verdict.status).toBe('malformed');
    expect(verdict.message).not.toContain(pair.credential);
  });

  it('refuses options without exactly one of secret and secrets', async () => {
    await expectTypeError(() => verifyTurnCredential(pair, {}), /exactly one of/);
    await expectTypeError(() => verifyTurnCredential(pair, { secret: SECRET, secrets: [SECRET] }), /exactly one of/);
    await expectTypeError(() => verifyTurnCredential(pair, { secret: 'short' }), /too short/);
  });
});
