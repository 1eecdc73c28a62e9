/**
 * Building blocks of the HTTP fuzz suite (test/contract/fuzz.test.ts): raw requests sent with
 * node:http (exact bytes, Content-Length or chunked), an oracle written from DESIGN.md that says
 * what roomkey must answer to a request, and fast-check arbitraries for hostile request bodies.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { SDK_ROUTES } from '../apps.js';
import { bearer } from './identity.js';

/** The three routes the fuzz apps mount on one issuer. */
export const ROUTES = ['tokens', 'chat', 'conference'] as const;
export type Route = (typeof ROUTES)[number];

export const ROUTE_PATH: Readonly<Record<Route, string>> = {
  tokens: '/tokens',
  chat: SDK_ROUTES.chat,
  conference: SDK_ROUTES.conference,
};

/** The Vonage token comes from one of two signers, which one issuer cannot both hold. */
export type Flavor = 'vonage' | 'opentok';
export const FLAVORS: readonly Flavor[] = ['vonage', 'opentok'];

/** The OpenTok project of the fuzz apps, and a session id created for it. */
export const OPENTOK_API_KEY = '46000001';
export const sessionFor = (owner: string): string =>
  `2_${Buffer.from(`1~${owner}~~Sun Nov 22 2026~fuzz~~`).toString('base64url')}`;
export const OWN_SESSION = sessionFor(OPENTOK_API_KEY);
export const FOREIGN_SESSION = sessionFor('46000002');

// ---------------------------------------------------------------------------------------------
// Sending

export interface FuzzRequest {
  readonly route: Route;
  /** `undefined`: no Content-Type header at all. */
  readonly contentType: string | undefined;
  /** A string is sent as its UTF-8 bytes. */
  readonly body: string | Uint8Array;
  /** `Transfer-Encoding: chunked` (no Content-Length), in three pieces. */
  readonly chunked: boolean;
  /** `undefined`: no Authorization header. */
  readonly authorization: string | undefined;
}

export interface Answer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly text: string;
}

/** Long runs of one short pattern written once with a count, so that a counterexample stays readable. */
export function abbreviate(text: string): string {
  return text.replace(/([\s\S]{1,6}?)\1{11,}/g, (run, unit: string) => `⟪${unit}×${run.length / unit.length}⟫`);
}

/**
 * A request as fast-check prints it in a counterexample: the body as JSON text (bytes in hex),
 * long repetitions abbreviated as ⟪pattern×count⟫.
 */
export function withDescription(request: FuzzRequest): FuzzRequest {
  return Object.defineProperty({ ...request }, fc.toStringMethod, {
    value: () => {
      const body =
        typeof request.body === 'string'
          ? JSON.stringify(abbreviate(request.body))
          : `hex:${abbreviate(Buffer.from(request.body).toString('hex'))}`;
      const { route, contentType, chunked, authorization } = request;
      return `{route:${route}, contentType:${JSON.stringify(contentType)}, chunked:${chunked}, authorization:${JSON.stringify(authorization)}, body:${body}}`;
    },
  });
}

export const bytesOf = (body: string | Uint8Array): Buffer =>
  typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body);

/** Listens on a loopback port; resolves to the port. */
export async function listen(server: http.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

export function close(server: http.Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Sends one request with exactly these bytes and headers, on a fresh connection. */
export function send(port: number, request: FuzzRequest): Promise<Answer> {
  const body = bytesOf(request.body);
  const headers: Record<string, string> = {};
  if (request.contentType !== undefined) headers['content-type'] = request.contentType;
  if (request.authorization !== undefined) headers.authorization = request.authorization;
  if (request.chunked) headers['transfer-encoding'] = 'chunked';
  else headers['content-length'] = String(body.length);
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = http.request(
      { host: '127.0.0.1', port, method: 'POST', path: ROUTE_PATH[request.route], headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          answered = true;
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', reject);
      },
    );
    // A server that answers before reading the whole body (413) may reset the connection
    // while the rest is still being written: only an error before the answer counts.
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    if (request.chunked && body.length > 0) {
      const third = Math.ceil(body.length / 3);
      for (let at = 0; at < body.length; at += third) req.write(body.subarray(at, at + third));
    } else if (body.length > 0) {
      req.write(body);
    }
    req.end();
  });
}

// ---------------------------------------------------------------------------------------------
// The oracle: what DESIGN.md says roomkey answers. Written independently of packages/core/src.

/** DESIGN.md: rooms and channels. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/**
 * DESIGN.md: the four Red5 Pro transports, in any ASCII letter case (the contract suite sends
 * `whep`). Only ASCII letters: `wh\u0131p` upper-cases to `WHIP` but is not a transport name.
 */
const isTransport = (value: unknown) =>
  typeof value === 'string' &&
  /^[A-Za-z]{4}$/.test(value) &&
  ['RTMP', 'RTSP', 'WHIP', 'WHEP'].includes(value.toUpperCase());
/** A Vonage session id as roomkey accepts it: a digit, `_`, URL-safe base64. */
const SESSION = /^[0-9]_[A-Za-z0-9_-]{4,1022}$/;
const ROLES = ['subscriber', 'publisher', 'publisher-only', 'moderator'];
/** DESIGN.md: 16 KiB bodies at most. */
export const BODY_LIMIT = 16 * 1024;
/** The longest lifetime a request may ask for: 30 days (Vonage's cap, PubNub's too). */
const MAX_MINUTES = 30 * 24 * 60;
/** At most each transport twice. */
const MAX_TRANSPORTS = 8;
/** PubNub: a uuid of at most 64 characters; a channel of at most 92, `-pnpres` included. */
const MAX_USER_ID = 64;
const MAX_RED5CLOUD_NAME = 92 - '-pnpres'.length;

export const FIELDS: Readonly<Record<Route, readonly string[]>> = {
  tokens: ['room', 'role', 'transports', 'channel', 'session', 'turn', 'ttlMinutes'],
  chat: ['userId', 'channelId', 'read', 'write', 'ttlMinutes'],
  conference: ['userId', 'channelId', 'expirationMinutes'],
};

export type Verdict =
  /** A request the contract accepts: 200 with exactly these tokens. */
  | { readonly kind: 'valid'; readonly tokens: readonly string[]; readonly body: Record<string, unknown> }
  /** Refused before any platform is asked (no PubNub grant), with this status. */
  | { readonly kind: 'refused'; readonly status: number; readonly why: string }
  /** Valid for the contract, refused by a platform's own rule (Red5 Cloud names, OpenTok sessions): 400. */
  | { readonly kind: 'platform'; readonly why: string }
  /** The oracle cannot tell; only the invariants apply. */
  | { readonly kind: 'unknown'; readonly why: string };

export interface Setting {
  readonly flavor: Flavor;
  readonly bodyParser: boolean;
}

const refused = (status: number, why: string): Verdict => ({ kind: 'refused', status, why });

/** Who each Authorization value is (Node strips the blanks around a header value). */
export function caller(authorization: string | undefined): string | undefined {
  const value = authorization?.replace(/^[ \t]+|[ \t]+$/g, '');
  for (const user of ['carol', 'erin', 'dave'] as const) if (value === bearer(user)) return user;
  return undefined;
}

const TOKEN_CHAR = "[!#$%&'*+.^_`|~0-9A-Za-z-]";
const MEDIA_TYPE = new RegExp(`^${TOKEN_CHAR}+/${TOKEN_CHAR}+$`);
// RFC 9110 parameters: `; name=token` or `; name="quoted"`, blanks around `;` and `=` tolerated.
const PARAMETER = new RegExp(
  `; *(${TOKEN_CHAR}+) *= *("(?:[\\x20\\x21\\x23-\\x5b\\x5d-\\x7e\\x80-\\xff]|\\\\[\\x20-\\xff])*"|${TOKEN_CHAR}+) *`,
  'y',
);

/** DESIGN.md: `application/json` in UTF-8 only. `unknown` where HTTP's grammar leaves room for doubt. */
export function contentTypeVerdict(contentType: string | undefined): 'ok' | 'bad' | 'unknown' {
  if (contentType === undefined) return 'bad';
  if (/[\t\v]/.test(contentType)) return 'unknown';
  const value = contentType.trim();
  const semicolon = value.indexOf(';');
  const type = (semicolon < 0 ? value : value.slice(0, semicolon)).trim();
  if (!MEDIA_TYPE.test(type)) return 'bad';
  if (type.toLowerCase() !== 'application/json') return 'bad';
  let charset: string | undefined;
  if (semicolon >= 0) {
    PARAMETER.lastIndex = semicolon;
    let at = semicolon;
    for (let match = PARAMETER.exec(value); match !== null; match = PARAMETER.exec(value)) {
      at = PARAMETER.lastIndex;
      const [, name = '', raw = ''] = match;
      if (name.toLowerCase() === 'charset') {
        charset = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw;
      }
    }
    if (at !== value.length) return 'bad';
  }
  return charset === undefined || charset.toLowerCase() === 'utf-8' ? 'ok' : 'bad';
}

/** The body as a JSON reader decodes it: UTF-8, one byte order mark dropped. */
export function decodeBody(bytes: Buffer): string {
  const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  return bytes.toString('utf8', bom ? 3 : 0);
}

type Checked = { ok: true; body: Record<string, unknown> } | { ok: false; why: string };

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isMinutes = (value: unknown) =>
  Number.isInteger(value) && (value as number) >= 1 && (value as number) <= MAX_MINUTES;
const isName = (value: unknown) => typeof value === 'string' && NAME.test(value);

function checkFields(route: Route, value: unknown, rules: Record<string, (field: unknown) => boolean>): Checked {
  if (!isObject(value)) return { ok: false, why: 'not a JSON object' };
  for (const key of Object.keys(value)) {
    if (!FIELDS[route].includes(key)) return { ok: false, why: `unknown field ${JSON.stringify(key)}` };
    const rule = rules[key];
    if (rule !== undefined && !rule(value[key])) return { ok: false, why: `bad ${key}` };
  }
  return { ok: true, body: value };
}

// Never trimmed: compared with the signed-in user's id exactly as sent.
const userIdOk = (value: unknown) => typeof value === 'string' && value.length >= 1 && value.length <= MAX_USER_ID;

const RULES: Readonly<Record<Route, Record<string, (field: unknown) => boolean>>> = {
  tokens: {
    room: isName,
    role: (value) => typeof value === 'string' && ROLES.includes(value),
    transports: (value) =>
      Array.isArray(value) && value.length >= 1 && value.length <= MAX_TRANSPORTS && value.every(isTransport),
    channel: isName,
    session: (value) => typeof value === 'string' && SESSION.test(value),
    // A flag: only `true` (false is refused, not read as "no").
    turn: (value) => value === true,
    ttlMinutes: isMinutes,
  },
  chat: {
    userId: userIdOk,
    channelId: isName,
    read: (value) => typeof value === 'boolean',
    write: (value) => typeof value === 'boolean',
    ttlMinutes: isMinutes,
  },
  conference: { userId: userIdOk, channelId: isName, expirationMinutes: isMinutes },
};

/** The API key an OpenTok session id was created for: the second `~` field of its base64 body. */
function openTokOwner(session: string): string | undefined {
  return Buffer.from(session.slice(2), 'base64url').toString('latin1').split('~')[1];
}

/** Red5 Cloud's rule for a room or channel: room for the `-pnpres` presence channel, and not one itself. */
const red5CloudRefuses = (name: string) => name.length > MAX_RED5CLOUD_NAME || name.endsWith('-pnpres');

/** What roomkey must answer, by DESIGN.md, to a request from the fuzzer. */
export function classify(request: FuzzRequest, setting: Setting): Verdict {
  const type = contentTypeVerdict(request.contentType);
  if (type === 'bad') return refused(415, 'content type');
  if (type === 'unknown') return { kind: 'unknown', why: 'content type' };
  const bytes = bytesOf(request.body);
  const text = decodeBody(bytes);
  let value: unknown;
  let json = true;
  try {
    value = JSON.parse(text);
  } catch {
    json = false;
  }
  if (bytes.length > BODY_LIMIT) {
    // The app's parser read a chunked body before roomkey: roomkey can only measure what it left.
    if (setting.bodyParser && request.chunked && json) return { kind: 'unknown', why: 'size of a parsed body' };
    return refused(413, 'body over 16 KiB');
  }
  if (!json) return refused(400, 'not JSON');
  const checked = checkFields(request.route, value, RULES[request.route]);
  if (!checked.ok) return refused(400, checked.why);
  const { body } = checked;
  const has = (key: string) => Object.hasOwn(body, key);

  const tokens: string[] = [];
  if (request.route === 'tokens') {
    if (has('room')) tokens.push('red5pro', 'conference');
    if (has('channel')) tokens.push('chat');
    if (has('session')) tokens.push('vonage');
    if (has('turn')) tokens.push('turn');
    if (tokens.length === 0) return refused(400, 'addresses no platform');
  } else {
    if (!has('userId') || !has('channelId')) return refused(400, 'userId and channelId are required');
    if (request.route === 'chat' && body.read === false && body.write !== true) {
      return refused(400, 'neither read nor write');
    }
  }

  // Targets a platform cannot use are the client's mistake, found before anyone is identified.
  const names = [body.room, body.channel, body.channelId].filter((name): name is string => typeof name === 'string');
  if (names.some(red5CloudRefuses)) return refused(400, 'a Red5 Cloud name');
  if (setting.flavor === 'opentok' && has('session') && openTokOwner(body.session as string) !== OPENTOK_API_KEY) {
    return refused(400, 'a session of another OpenTok project');
  }

  const user = caller(request.authorization);
  if (user === undefined) return refused(401, 'no known caller');
  if (request.route !== 'tokens' && body.userId !== user) return refused(403, 'another userId');
  if (user === 'dave') return refused(403, 'authorize says no');
  return { kind: 'valid', tokens, body };
}

// ---------------------------------------------------------------------------------------------
// Arbitraries

/** Look-alikes of the letters, digits and punctuation of valid values, and invisible characters. */
export const LOOKALIKES: readonly string[] = [
  '\u0430', // Cyrillic а
  '\u043e', // Cyrillic о
  '\u0435', // Cyrillic е
  '\u0440', // Cyrillic р
  '\u0441', // Cyrillic с
  '\u0131', // dotless ı: upper-cases to I
  '\u017f', // long ſ: upper-cases to S
  '\u212a', // Kelvin sign K
  '\u00df', // ß: upper-cases to SS
  '\ufb06', // ﬆ ligature: upper-cases to ST
  '\uff21', // fullwidth A
  '\uff41', // fullwidth a
  '\uff4f', // fullwidth o
  '\uff10', // fullwidth 0
  '\uff0d', // fullwidth hyphen-minus
  '\uff0c', // fullwidth comma
  '\uff0e', // fullwidth full stop
  '\u2010', // hyphen
  '\u2011', // non-breaking hyphen
  '\u2212', // minus sign
  '\u200b', // zero-width space
  '\u200c', // zero-width non-joiner
  '\u200d', // zero-width joiner
  '\u2060', // word joiner
  '\u00ad', // soft hyphen
  '\u200e', // left-to-right mark
  '\u200f', // right-to-left mark
  '\u202e', // right-to-left override
  '\u202a', // left-to-right embedding
  '\u061c', // Arabic letter mark
  '\ufeff', // byte order mark
  '\u00a0', // no-break space
  '\u3000', // ideographic space
  '\u2028', // line separator
  '\u0301', // combining acute accent
];

/** C0 and C1 controls, DEL, NUL and a lone surrogate. */
export const CONTROLS: readonly string[] = [
  ...Array.from({ length: 32 }, (_, code) => String.fromCharCode(code)),
  '\u007f',
  '\u0080',
  '\u0085',
  '\u009b',
  '\u009f',
  '\ud800',
];

export const lookalike: fc.Arbitrary<string> = fc.constantFrom(...LOOKALIKES);
export const control: fc.Arbitrary<string> = fc.constantFrom(...CONTROLS);

export const MUTATIONS = ['insert', 'replace', 'prepend', 'append'] as const;
export type Mutation = (typeof MUTATIONS)[number];

/** `base` with `char` inserted at, or replacing the character at, `at` (modulo its length), or at an end. */
export function mutate(base: string, char: string, at: number, how: Mutation): string {
  const index = base.length === 0 ? 0 : at % base.length;
  if (how === 'prepend') return `${char}${base}`;
  if (how === 'append') return `${base}${char}`;
  if (how === 'replace') return `${base.slice(0, index)}${char}${base.slice(index + 1)}`;
  return `${base.slice(0, index)}${char}${base.slice(index)}`;
}

/** A string with one character inserted, replaced, prepended or appended. */
export function mutated(base: string, char: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.tuple(char, fc.nat(), fc.constantFrom(...MUTATIONS)).map(([c, at, how]) => mutate(base, c, at, how));
}

const name = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('room-abc', 'lobby', 'a', 'Room_9.x-y', 'channel-global', '0') },
  { weight: 2, arbitrary: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,20}$/) },
  // Valid names Red5 Cloud refuses: too long for the presence channel, or a presence channel.
  { weight: 1, arbitrary: fc.constantFrom('x'.repeat(85), 'x'.repeat(86), 'r'.repeat(128), 'stage-pnpres') },
);
const transports = fc.array(fc.constantFrom('RTMP', 'RTSP', 'WHIP', 'WHEP', 'whip', 'Whep', 'rtsp'), {
  minLength: 1,
  maxLength: 4,
});
const session = fc.oneof(
  fc.constantFrom(OWN_SESSION, FOREIGN_SESSION),
  fc.stringMatching(/^[0-9]_[A-Za-z0-9_-]{4,40}$/),
);
const minutes = fc.oneof(fc.integer({ min: 1, max: 120 }), fc.integer({ min: 1, max: MAX_MINUTES }));
const userId = fc.oneof(
  { weight: 6, arbitrary: fc.constant('carol') },
  { weight: 1, arbitrary: fc.constantFrom(' carol ', 'carol\n', '\u3000carol\ufeff', 'erin', 'dave', 'mallory') },
);

/** A value that is valid for a field of a route (and, for names, sometimes refused by Red5 Cloud). */
export function validValue(field: string): fc.Arbitrary<unknown> {
  switch (field) {
    case 'room':
    case 'channel':
    case 'channelId':
      return name;
    case 'role':
      return fc.constantFrom(...ROLES);
    case 'transports':
      return transports;
    case 'session':
      return session;
    case 'ttlMinutes':
    case 'expirationMinutes':
      return minutes;
    case 'userId':
      return userId;
    case 'read':
    case 'write':
      return fc.boolean();
    case 'turn':
      return fc.constant(true);
    default:
      throw new Error(`no valid value for ${field}`);
  }
}

/** Edge numbers for a lifetime, as raw JSON text (some of it not JSON at all). */
export const EDGE_NUMBER_TEXTS: readonly string[] = [
  '0',
  '-1',
  '0.5',
  '1.5',
  '1e308',
  '-1e308',
  '1e400',
  '-0',
  '-0.0',
  '1e-400',
  '5e-324',
  '"NaN"',
  'NaN',
  'Infinity',
  '-Infinity',
  '"Infinity"',
  '9007199254740991',
  '9007199254740993',
  '18446744073709551616',
  '123456789012345678901234567890',
  '"60"',
  '" 60"',
  '"0x3c"',
  '0x3c',
  '060',
  '60.0',
  '1.0',
  '1E1',
  '0.99999999999999999',
  '43200',
  '43201',
  '43200.00000000001',
  '43200.0000000001',
  '4.32e4',
  'true',
  'null',
  '[60]',
  '{"value":60}',
  '+60',
  '.5',
  '60.',
];

export const edgeNumberText: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...EDGE_NUMBER_TEXTS) },
  { weight: 1, arbitrary: fc.integer().map(String) },
  { weight: 1, arbitrary: fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }).map(String) },
  {
    weight: 1,
    arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }).map((value) => JSON.stringify(value)),
  },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: MAX_MINUTES }).map((value) => JSON.stringify(String(value))) },
);

/** A value that is most likely invalid for a field: wrong type, hostile text, edge number. */
export function invalidValue(field: string): fc.Arbitrary<unknown> {
  const base: Readonly<Record<string, string>> = {
    role: 'publisher',
    session: OWN_SESSION,
    userId: 'carol',
    transports: 'WHIP',
  };
  const hostileText = fc.oneof(
    mutated(base[field] ?? 'room-abc', lookalike),
    mutated(base[field] ?? 'room-abc', control),
    fc.string({ unit: 'grapheme', maxLength: 12 }),
    fc.constantFrom('', ' ', 'a,b', 'room abc', '.hidden', '-x', 'r'.repeat(129), 'Publisher', 'admin', 'SRT'),
  );
  return fc.oneof(
    { weight: 3, arbitrary: hostileText },
    { weight: 1, arbitrary: hostileText.map((value) => [value]) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
    { weight: 1, arbitrary: edgeNumberText.map((raw) => safeParse(raw)) },
  );
}

function safeParse(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/** A body for a route that is valid more often than not: each field valid, invalid or absent. */
export function mixedBody(route: Route): fc.Arbitrary<Record<string, unknown>> {
  const fields = FIELDS[route];
  const entries = fields.map((field) =>
    fc.option(fc.oneof({ weight: 4, arbitrary: validValue(field) }, { weight: 1, arbitrary: invalidValue(field) }), {
      nil: undefined,
      freq: route === 'tokens' ? 2 : 4,
    }),
  );
  const required = route === 'tokens' ? [] : ['userId', 'channelId'];
  return fc
    .tuple(
      fc.tuple(...entries),
      fc.nat({ max: 9 }),
      fc.dictionary(
        fc.oneof(fc.constantFrom('admin', 'token', 'role ', 'Room', 'sub'), fc.string()),
        fc.jsonValue({ maxDepth: 1 }),
        {
          maxKeys: 2,
        },
      ),
    )
    .map(([values, dice, extra]) => {
      const body: Record<string, unknown> = {};
      fields.forEach((field, index) => {
        const value = values[index];
        if (value !== undefined) body[field] = value;
        else if (required.includes(field) && dice > 0) body[field] = field === 'userId' ? 'carol' : 'channel-global';
      });
      // One body in ten carries fields the contract does not know (as own keys, `__proto__` too).
      if (dice === 0) {
        for (const [key, value] of Object.entries(extra)) {
          Object.defineProperty(body, key, { value, enumerable: true, configurable: true, writable: true });
        }
      }
      return body;
    });
}

/** A body that the contract accepts (Red5 Cloud names aside), for carol. */
export function validBody(route: Route): fc.Arbitrary<Record<string, unknown>> {
  if (route === 'chat') {
    return fc.record(
      {
        userId: fc.constant('carol'),
        channelId: name,
        read: fc.constant(true),
        write: fc.boolean(),
        ttlMinutes: minutes,
      },
      { requiredKeys: ['userId', 'channelId'] },
    );
  }
  if (route === 'conference') {
    return fc.record(
      { userId: fc.constant('carol'), channelId: name, expirationMinutes: minutes },
      { requiredKeys: ['userId', 'channelId'] },
    );
  }
  return fc.record(
    {
      room: name,
      role: fc.constantFrom(...ROLES),
      transports,
      channel: name,
      session: fc.constant(OWN_SESSION),
      turn: fc.constant(true),
      ttlMinutes: minutes,
    },
    { requiredKeys: ['room'] },
  );
}

/** The Authorization header: mostly carol, sometimes someone else, no one, or a near miss. */
export const authorization: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 12, arbitrary: fc.constant(bearer('carol')) },
  { weight: 1, arbitrary: fc.constantFrom(bearer('erin'), bearer('dave'), `${bearer('carol')} `, undefined) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      bearer('carol').replace('Bearer', 'bearer'),
      bearer('carol').replace(' ', '  '),
      `${bearer('carol')}x`,
      bearer('carol').slice(0, -1),
    ),
  },
  {
    weight: 1,
    arbitrary: fc
      .string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 24, maxLength: 40 })
      .map((hex) => `Bearer rk_fuzz_${hex}`),
  },
);

/** JSON text of an object, written entry by entry: keys may repeat, and any text may be a value. */
export function rawObject(entries: readonly (readonly [string, string])[]): string {
  return `{${entries.map(([key, value]) => `${key}:${value}`).join(',')}}`;
}

/** Raw JSON keys: the route's fields (some spelt with escapes) and keys with a meaning in JavaScript. */
export function hostileKeyText(route: Route): fc.Arbitrary<string> {
  const fields = FIELDS[route].map((field) => JSON.stringify(field));
  const escaped = FIELDS[route].map(
    (field) => `"\\u${field.charCodeAt(0).toString(16).padStart(4, '0')}${field.slice(1)}"`,
  );
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...fields) },
    { weight: 1, arbitrary: fc.constantFrom(...escaped) },
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        '"__proto__"',
        '"__pro\\u0074o__"',
        '"constructor"',
        '"prototype"',
        '"toString"',
        '"valueOf"',
        '"hasOwnProperty"',
        '"__defineGetter__"',
        '"__lookupSetter__"',
        '"isPrototypeOf"',
        '""',
        '"room\\u0000"',
        '"r\\u043eom"',
      ),
    },
  );
}

/** Raw JSON values for hostile keys: objects that look like grants or requests, and plain values. */
export const hostileValueText: fc.Arbitrary<string> = fc.constantFrom(
  '{"role":"moderator"}',
  '{"room":"room-abc","rooms":"any"}',
  '{"userId":"carol","channelId":"room-abc"}',
  '{"__proto__":{"role":"moderator"}}',
  '{"prototype":{"admin":true}}',
  '{}',
  '[]',
  'null',
  'true',
  '0',
  '"moderator"',
  '"room-abc"',
);

/** A body as raw text, from a value: most of the time the value's JSON text. */
export const asJson = (value: unknown): string => JSON.stringify(value) ?? 'null';

/** Depths and shapes of deeply nested JSON (and not-quite JSON). */
export const NESTING_SHAPES = ['arrays', 'unclosed', 'objects', 'in-field', 'mixed'] as const;
export type NestingShape = (typeof NESTING_SHAPES)[number];

export function nested(route: Route, shape: NestingShape, depth: number): string {
  const arrays = `${'['.repeat(depth)}${']'.repeat(depth)}`;
  switch (shape) {
    case 'arrays':
      return arrays;
    case 'unclosed':
      return '['.repeat(depth);
    case 'objects':
      return `${'{"a":'.repeat(depth)}0${'}'.repeat(depth)}`;
    case 'in-field': {
      const field = route === 'tokens' ? 'room' : 'channelId';
      const prefix = route === 'tokens' ? '' : '"userId":"carol",';
      return `{${prefix}"${field}":${arrays}}`;
    }
    case 'mixed':
      return `${'[{"a":'.repeat(depth)}null${'}]'.repeat(depth)}`;
  }
}

/** A valid body for a route padded with white space (or another filler) to about `size` bytes. */
export function padded(route: Route, size: number, filler: 'space' | 'leading' | 'field' | 'multibyte'): string {
  const base =
    route === 'tokens'
      ? '{"room":"room-abc"'
      : route === 'chat'
        ? '{"userId":"carol","channelId":"channel-global"'
        : '{"userId":"carol","channelId":"room-abc"';
  const room = Math.max(0, size - Buffer.byteLength(base) - 1);
  switch (filler) {
    case 'space':
      return `${base}${' '.repeat(room)}}`;
    case 'leading':
      return `${'\n'.repeat(room)}${base}}`;
    case 'field':
      return `${base},"filler":"${'x'.repeat(Math.max(0, room - 12))}"}`;
    case 'multibyte':
      return `${base},"filler":"${'\u00e9'.repeat(Math.max(0, Math.floor((room - 12) / 2)))}"}`;
  }
}

/** Content types: valid spellings, near misses, other charsets, other types, and random text. */
export const CONTENT_TYPES: readonly (string | undefined)[] = [
  undefined,
  '',
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=UTF-8',
  'application/json;charset="utf-8"',
  'Application/JSON',
  'application/json ; charset = utf-8',
  'application/json; charset=utf-16',
  'application/json; charset=utf-16le',
  'application/json; charset=utf8',
  'application/json; charset=latin1',
  'application/json; charset=iso-8859-1',
  'application/json; charset=us-ascii',
  'application/json; charset=bogus',
  'application/json; charset=',
  'application/json;',
  'application/json; charset=utf-8; charset=latin1',
  'application/json; charset=latin1; charset=utf-8',
  'application/json; boundary=x',
  'application/json, text/plain',
  'application/json-patch+json',
  'application/vnd.api+json',
  'application/csp-report',
  'application/scim+json',
  'application/jsonp',
  'application/',
  'application',
  'json',
  'text/json',
  'text/plain',
  'text/plain; charset=utf-8',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/octet-stream',
  '*/*',
  'application/\u00e9json',
];

export const contentType: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...CONTENT_TYPES) },
  {
    weight: 1,
    arbitrary: fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)) }),
  },
  {
    weight: 1,
    arbitrary: fc
      .string({
        unit: fc.integer({ min: 0x20, max: 0xfe }).map((code) => String.fromCharCode(code === 0x7f ? 0xff : code)),
        maxLength: 12,
      })
      .map((parameters) => `application/json;${parameters}`),
  },
);

/** Bodies that are not JSON, or not UTF-8, or not anything. */
export function otherBody(route: Route): fc.Arbitrary<string | Uint8Array> {
  return fc.oneof(
    validBody(route).map(asJson),
    fc.uint8Array({ maxLength: 200 }),
    fc
      .dictionary(
        fc.oneof(fc.constantFrom(...FIELDS[route], '__proto__[role]', 'constructor[prototype][admin]'), fc.string()),
        fc.string(),
        { maxKeys: 4 },
      )
      .map((entries) => new URLSearchParams(entries).toString()),
    fc.constantFrom('', ' ', '\r\n', 'null', '{}', '[]', '"room-abc"', 'room=room-abc', '{"room":"room-abc"'),
    validBody(route).map((value) => Buffer.from(`\ufeff${asJson(value)}`, 'utf16le')),
    validBody(route).map((value) => Buffer.from(asJson(value), 'utf16le')),
    validBody(route).map((value) => Buffer.from(asJson({ ...value, note: 'caf\u00e9' }), 'latin1')),
    validBody(route).map((value) => `\ufeff${asJson(value)}`),
    validBody(route).map((value) => `\ufeff\ufeff${asJson(value)}`),
    fc.string({ unit: 'binary', maxLength: 60 }),
  );
}
