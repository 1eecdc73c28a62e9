import { describe, expect, it } from 'vitest';
import {
  createOpenTokSigner,
  createPubNubAccessManager,
  createRed5CloudClient,
  createRed5ProSigner,
  createRed5ProVerifier,
  createTokenIssuer,
  decodeRed5MasterSecret,
  encodeRed5MasterSecret,
  generateSecret,
  verifyRed5ProToken,
} from '../src/index.js';
import { expectNoLeak, expectTypeError, SECRET } from './support/fixtures.js';
import { makeCredentials, makeMasterKey } from './support/red5cloud.js';
import { API_KEY, API_SECRET } from './support/vonage.js';

// What `S="$(npx --yes pnpm@10 roomkey secret)"` captures in the repository: pnpm's banner, then
// the secret. $(…) strips only the trailing newline.
const banner = (secret: string) =>
  `\n> roomkey-monorepo@ roomkey /work/roomkey\n> node packages/cli/bin/roomkey.js secret\n\n${secret}`;
const LINE_BREAK =
  /contains a line break: was it captured together with command output\?.*pnpm --silent roomkey secret/;

const masterKey = makeMasterKey();
const masterSecret = encodeRed5MasterSecret(masterKey, makeCredentials());
const pubnubKeys = { publishKey: 'pub-c-test', subscribeKey: 'sub-c-test' };

/** Every library entry point that takes a shared secret, fed `secret` where that secret goes. */
const takers: ReadonlyArray<readonly [string, (secret: string, plain: string) => unknown]> = [
  ['createRed5ProSigner (secret)', (secret) => createRed5ProSigner({ secret })],
  ['createRed5ProVerifier (secrets)', (secret, plain) => createRed5ProVerifier({ secrets: [plain, secret] })],
  ['verifyRed5ProToken (secret)', (secret) => verifyRed5ProToken('a.b.c', { secret })],
  [
    'createTokenIssuer (red5pro.secret)',
    (secret) => createTokenIssuer({ identify: () => null, authorize: () => false, red5pro: { secret } }),
  ],
  ['createOpenTokSigner (apiSecret)', (secret) => createOpenTokSigner({ apiKey: API_KEY, apiSecret: secret })],
  ['createRed5CloudClient (masterSecret)', (secret) => createRed5CloudClient({ masterKey, masterSecret: secret })],
  ['createRed5CloudClient (masterKey)', (secret) => createRed5CloudClient({ masterKey: secret, masterSecret })],
  ['decodeRed5MasterSecret (masterSecret)', (secret) => decodeRed5MasterSecret(masterKey, secret)],
  [
    'createPubNubAccessManager (secretKey)',
    (secret) => createPubNubAccessManager({ ...pubnubKeys, secretKey: secret }),
  ],
];

/** A valid secret for each taker, so that only the polluting characters can be what is refused. */
function plainFor(name: string): string {
  if (name.includes('apiSecret')) return API_SECRET;
  if (name.includes('masterSecret')) return masterSecret;
  if (name.includes('masterKey')) return masterKey;
  if (name.includes('secretKey')) return 'sec-c-ZmFrZS1wdWJudWItc2VjcmV0LWtleS1mb3ItdGVzdHM';
  return SECRET;
}

describe('a shared secret with a line break or a control character is refused by every signer', () => {
  it.each(takers)('%s: accepts the secret alone', async (name, take) => {
    const plain = plainFor(name);
    // verifyRed5ProToken checks a token too: its refusal of 'a.b.c' is a RoomkeyError, not a TypeError.
    const error = await Promise.resolve()
      .then(() => take(plain, plain))
      .then(
        () => undefined,
        (reason: unknown) => reason,
      );
    expect(error).not.toBeInstanceOf(TypeError);
  });

  it.each(takers)(
    '%s: refuses it captured with command output, naming the cause, never the secret',
    async (name, take) => {
      const plain = plainFor(name);
      const error = await expectTypeError(() => take(banner(plain), plain), LINE_BREAK);
      expectNoLeak([error], [plain]);
    },
  );

  it.each(takers)('%s: names the line break even when colour codes come first', async (name, take) => {
    const plain = plainFor(name);
    await expectTypeError(() => take(`\u001b[1m> banner\u001b[0m\n${plain}`, plain), LINE_BREAK);
  });

  it.each(takers)('%s: refuses a trailing newline or CRLF (from a file read as it is)', async (name, take) => {
    const plain = plainFor(name);
    await expectTypeError(() => take(`${plain}\n`, plain), LINE_BREAK);
    await expectTypeError(() => take(`${plain}\r\n`, plain), LINE_BREAK);
  });

  it.each(takers)('%s: refuses a tab or an escape, naming the character', async (name, take) => {
    const plain = plainFor(name);
    await expectTypeError(
      () => take(`${plain.slice(0, 20)}\t${plain.slice(20)}`, plain),
      /control character \(U\+0009\)/,
    );
    const coloured = await expectTypeError(
      () => take(`\u001b[32m${plain}\u001b[0m`, plain),
      /control character \(U\+001B\)/,
    );
    expectNoLeak([coloured], [plain]);
  });
});

describe('what stays accepted', () => {
  it('a Red5 Pro secret with spaces (never trimmed) and a Red5 Cloud master secret with surrounding spaces', () => {
    expect(() => createRed5ProSigner({ secret: ` ${generateSecret()} ` })).not.toThrow();
    expect(() => decodeRed5MasterSecret(masterKey, `  ${masterSecret}  `)).not.toThrow();
  });
});

describe('a shared secret with an invisible character, a Unicode line break or a non-ASCII space is refused by every signer', () => {
  it.each(takers)('%s: refuses U+2028 and U+2029 as line breaks', async (name, take) => {
    const plain = plainFor(name);
    await expectTypeError(() => take(`> banner\u2028${plain}`, plain), LINE_BREAK);
    await expectTypeError(() => take(`${plain}\u2029`, plain), LINE_BREAK);
  });

  it.each([
    ['a byte order mark (a file saved by Notepad)', '\uFEFF', 'U+FEFF'],
    ['a zero-width space', '\u200B', 'U+200B'],
    ['a no-break space', '\u00A0', 'U+00A0'],
    ['a right-to-left mark', '\u200F', 'U+200F'],
  ])('refuses %s, naming the character and never the secret', async (_what, character, code) => {
    for (const [name, take] of takers) {
      const plain = plainFor(name);
      const error = await expectTypeError(
        () => take(`${character}${plain}`, plain),
        new RegExp(`invisible character or a space other than U\\+0020 \\(${code.replace('+', '\\+')}\\)`),
      );
      expectNoLeak([error], [plain]);
    }
  });
});
