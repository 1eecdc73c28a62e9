import { createSecretKey, type KeyObject, randomBytes } from 'node:crypto';
import { CONTROL_CHARACTER } from './names.js';

/** The sample secret printed in Red5's documentation: anyone can sign with it. */
const PUBLISHED_SAMPLE_SECRETS = new Set(['changeme-to-a-strong-32-byte-secret-key']);

/** Red5 Pro and RFC 7518 both ask for at least 256 bits of key for HS256. */
export const MIN_SECRET_BYTES = 32;

const HOW_TO_GENERATE =
  'Generate one with `node -e "console.log(require(\'@roomkey/core\').generateSecret())"` ' +
  'or `openssl rand -base64 32`, and configure the same string on the media server.';

/**
 * A cryptographically random secret as base64url text, ready to paste into both the media
 * server's configuration and roomkey's.
 *
 * @example
 * const secret = generateSecret(); // 43 characters, 256 bits of entropy
 */
export function generateSecret(bytes = 32): string {
  if (!Number.isInteger(bytes) || bytes < MIN_SECRET_BYTES || bytes > 1024) {
    throw new TypeError(`generateSecret(bytes): bytes must be an integer from ${MIN_SECRET_BYTES} to 1024`);
  }
  return randomBytes(bytes).toString('base64url');
}

/**
 * Checks a shared HMAC secret and turns it into a key. The key is the UTF-8 bytes of the
 * string exactly as configured on the server: never base64-decoded, never trimmed.
 * Throws a `TypeError` that says how to fix the configuration; the secret itself never
 * appears in the message.
 */
export function createHmacSecretKey(secret: unknown, option = 'secret'): KeyObject {
  if (secret === undefined) {
    throw new TypeError(
      `${option} is missing: set it to the JWT secret configured on the Red5 Pro server ` +
        `(read from the environment, such as RED5PRO_JWT_SECRET). ${HOW_TO_GENERATE}`,
    );
  }
  if (typeof secret !== 'string') {
    throw new TypeError(
      `${option} must be a string (the secret as configured on the media server). ${HOW_TO_GENERATE}`,
    );
  }
  checkSecretCharacters(secret, option);
  const bytes = Buffer.from(secret, 'utf8');
  if (bytes.length < MIN_SECRET_BYTES) {
    throw new TypeError(
      `${option} is too short: ${bytes.length} bytes, at least ${MIN_SECRET_BYTES} are required. ${HOW_TO_GENERATE}`,
    );
  }
  const period = shortestPeriod(secret);
  if (period <= MAX_PATTERN_LENGTH && period * 2 <= secret.length) {
    throw new TypeError(
      `${option} is ${period === 1 ? 'one character repeated' : `a pattern of ${period} characters repeated`}: ` +
        `anyone can guess it. ${HOW_TO_GENERATE}`,
    );
  }
  if (PUBLISHED_SAMPLE_SECRETS.has(secret)) {
    throw new TypeError(`${option} is the sample secret published in Red5's documentation. ${HOW_TO_GENERATE}`);
  }
  return createSecretKey(bytes);
}

/**
 * Refuses a shared secret holding a line break or another control character (tab, escape…):
 * no generator writes one, and one is the mark of a secret captured together with other output,
 * such as `S="$(pnpm roomkey secret)"`, which also captures pnpm's banner. Used for every shared
 * secret a signer takes (PEM private keys are not shared secrets and hold line breaks by design).
 * The message names the likely cause; the secret itself never appears in it.
 */
export function checkSecretCharacters(secret: string, option: string): void {
  // A line break first: captured output may also hold colour codes, but its lines are the clue.
  // U+2028 and U+2029 are line breaks too (JavaScript and editors treat them so).
  if (/[\r\n\u2028\u2029]/.test(secret)) {
    throw new TypeError(
      `${option} contains a line break: was it captured together with command output? ` +
        '`S="$(pnpm roomkey secret)"` also captures pnpm\'s banner: use `pnpm --silent roomkey secret`, ' +
        'or set it from a file holding the secret alone.',
    );
  }
  const found = CONTROL_CHARACTER.exec(secret)?.[0];
  if (found !== undefined) {
    throw new TypeError(
      `${option} contains a control character (${codePoint(found)}): was it copied from a terminal's coloured output ` +
        'or a file with tabs? Set it again from the generated value alone.',
    );
  }
  // Invisible too, and no generator writes one: a byte order mark from a file saved by an editor,
  // a zero-width or no-break space from a web page or a chat. The secret would sign silently with
  // a key the media server does not have.
  const invisible = INVISIBLE_OR_OTHER_SPACE.exec(secret)?.[0];
  if (invisible !== undefined) {
    throw new TypeError(
      `${option} contains an invisible character or a space other than U+0020 (${codePoint(invisible)}): ` +
        'was it copied from a web page or a chat, or read from a file saved with a byte order mark? ' +
        'Set it again from the generated value alone.',
    );
  }
}

/** Format characters (zero-width spaces and joiners, the byte order mark, bidirectional marks) and every space but U+0020. */
const INVISIBLE_OR_OTHER_SPACE = /\p{Cf}|[^\P{Zs} ]/u;

const codePoint = (character: string) =>
  `U+${(character.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;

/** A secret that repeats a unit this short at least twice (`aaaa…`, `abcabc…`, `0123456789abcdef` twice) is refused. */
const MAX_PATTERN_LENGTH = 16;

/**
 * The length of the shortest unit that `text` repeats (a trailing part of the unit may be
 * cut off): `text.length` itself for text that repeats nothing. Knuth–Morris–Pratt's failure
 * function gives the longest border; the period is what is left.
 */
function shortestPeriod(text: string): number {
  const border = new Array<number>(text.length).fill(0);
  for (let index = 1, length = 0; index < text.length; ) {
    if (text[index] === text[length]) {
      border[index++] = ++length;
    } else if (length > 0) {
      length = border[length - 1] ?? 0;
    } else {
      border[index++] = 0;
    }
  }
  return text.length - (border[text.length - 1] ?? 0);
}
