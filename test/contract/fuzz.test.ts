/**
 * Property-based fuzzing of the HTTP contract (DESIGN.md) through every adapter mode: Express 4
 * and 5, Koa 2 and 3, Fastify 4 and 5, Hono 4 on @hono/node-server, each without and with the
 * app's own JSON body parsing, and a bare Fetch API handler given real `Request`s. Each app has every
 * platform configured (Red5 Pro, Red5 Cloud through a local PubNub stand-in, and Vonage Video or
 * legacy OpenTok, which one issuer cannot both hold) and mounts `/tokens` plus the Red5 WebRTC
 * SDK's chat and conference routes on one issuer.
 *
 * For every request: no 5xx; no token unless the request is valid (an oracle written from
 * DESIGN.md decides); every refusal an `application/problem+json` with a contract code, except
 * the answers of the app's own body parser (non-problem 400/413/415 in body-parser modes); no
 * secret in any answer. Afterwards each app still issues verifiable tokens, and nothing that was
 * logged or written to stdout/stderr holds a token, a secret, a private key or an Authorization value.
 */
import { createHmac, generateKeyPairSync, randomBytes } from 'node:crypto';
import http from 'node:http';
import { type PubNubStandIn, startPubNubStandIn } from '@roomkey/pubnub-stand-in';
import fc from 'fast-check';
import { decodeJwt, type JWTPayload, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  credentialFields,
  makeCredentials,
  makeMasterKey,
  referenceMasterSecret,
  standInKeyset,
} from '../../packages/core/test/support/red5cloud.js';
import { type ContractOptions, createApp, MODES, type Mode } from './apps.js';
import { frozenClock } from './support/clock.js';
import {
  type Answer,
  abbreviate,
  asJson,
  authorization,
  BODY_LIMIT,
  caller,
  classify,
  close,
  contentType,
  control,
  edgeNumberText,
  FIELDS,
  FLAVORS,
  type Flavor,
  type FuzzRequest,
  hostileKeyText,
  hostileValueText,
  invalidValue,
  listen,
  lookalike,
  MUTATIONS,
  mixedBody,
  mutate,
  NESTING_SHAPES,
  nested,
  OPENTOK_API_KEY,
  OWN_SESSION,
  otherBody,
  padded,
  ROUTES,
  type Route,
  rawObject,
  send,
  type Verdict,
  validBody,
  validValue,
  withDescription,
} from './support/fuzz.js';
import { apiKeyIdentify, bearer } from './support/identity.js';
import { captureLogger, serialise } from './support/logger.js';
import { JWT_LIKE, SECRET, tokenParts } from './support/tokens.js';

/** Runs per property and mode: 15 modes × 8 properties. */
const RUNS = {
  json: 60,
  mixed: 120,
  keys: 60,
  lookalikes: 80,
  numbers: 60,
  nesting: 16,
  sizes: 24,
  media: 80,
} as const;

/** DESIGN.md, HTTP contract: every code a problem answer may carry, with its status. */
const CONTRACT_CODES: Readonly<Record<string, number>> = {
  invalid_request: 400,
  unauthenticated: 401,
  forbidden: 403,
  method_not_allowed: 405,
  request_timeout: 408,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal_error: 500,
  upstream_error: 502,
};
/** What an app's own JSON body parser answers by itself (express.json(), @koa/bodyparser). */
const PARSER_STATUSES = [400, 413, 415];
/** A token of any platform in a text: a compact JWS, an OpenTok T1 token, a PubNub (stand-in) token. */
const TOKEN_TEXT = new RegExp(`${JWT_LIKE.source}|T1==|qEF2AkF0`);

// Every secret is random per run (the Red5 Pro one aside), so that a leak is unmistakable.
const clock = frozenClock();
const logged = captureLogger();
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PRIVATE_PEM = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const PEM_LINES = PRIVATE_PEM.split('\n').filter((line) => line.length > 0 && !line.startsWith('-----'));
const APPLICATION_ID = '6f1d2c3b-4a59-4e8f-9b7a-0c1d2e3f4a5b';
const OPENTOK_SECRET = `ot${randomBytes(24).toString('hex')}`;
const MASTER_KEY = makeMasterKey();
const CREDENTIALS = makeCredentials();
const MASTER_SECRET = referenceMasterSecret(MASTER_KEY, credentialFields(CREDENTIALS));
const TURN_SECRET = `turn${randomBytes(24).toString('hex')}`;
const TURN_URLS = ['turn:127.0.0.1:3478?transport=udp'];

/** Never in any answer. */
const SECRETS: readonly string[] = [
  SECRET,
  OPENTOK_SECRET,
  MASTER_KEY,
  MASTER_SECRET,
  CREDENTIALS.conferenceSecret,
  CREDENTIALS.pubnubSecretKey,
  TURN_SECRET,
  ...PEM_LINES,
];
/** Never in a refusal (a conference token carries the PubNub keys, base64url-encoded). */
const REFUSAL_SECRETS: readonly string[] = [...SECRETS, ...credentialFields(CREDENTIALS)];

/** Every token answered, and every Authorization value sent, for the leak check at the end. */
const issued: string[] = [];
const authorizationsSent = new Set<string>();
/** Everything written to stdout, stderr or the console while this file runs. */
const written: string[] = [];
let standIn: PubNubStandIn;

const DEFAULTS = { contentType: 'application/json', chunked: false, authorization: bearer('carol') } as const;
const request = (route: Route, body: string | Uint8Array, overrides: Partial<FuzzRequest> = {}): FuzzRequest =>
  withDescription({ route, body, ...DEFAULTS, ...overrides });

function options(mode: Mode, flavor: Flavor): ContractOptions {
  return {
    identify: apiKeyIdentify(mode.variant),
    // Everything for everyone but dave: whether a request is answered with tokens depends on the request alone.
    authorize: ({ identity }) =>
      identity.id === 'dave'
        ? false
        : { role: 'moderator', rooms: 'any', channels: 'any', sessions: 'any', transports: 'any', turn: true },
    red5pro: { secret: SECRET },
    turn: { secret: TURN_SECRET, urls: TURN_URLS },
    red5cloud: {
      masterKey: MASTER_KEY,
      masterSecret: MASTER_SECRET,
      pubnub: { origin: standIn.origin, ssl: false },
    },
    ...(flavor === 'vonage'
      ? { vonage: { applicationId: APPLICATION_ID, privateKey: PRIVATE_PEM } }
      : { opentok: { apiKey: OPENTOK_API_KEY, apiSecret: OPENTOK_SECRET } }),
    logger: logged.logger,
    clock,
  };
}

const describeRequest = (req: FuzzRequest): string => {
  const body = typeof req.body === 'string' ? abbreviate(req.body) : `<${req.body.length} bytes>`;
  return `${req.route} ${JSON.stringify(req.contentType)}${req.chunked ? ' chunked' : ''} ${body.length > 300 ? `${body.slice(0, 300)}…` : body}`;
};

/**
 * A request refused by a platform after another platform's PubNub grant had started (one
 * token of several) lets that grant finish later: wait for the stand-in to fall quiet before
 * counting its requests again.
 */
let grantsMayStillArrive = false;
async function quietStandIn(): Promise<number> {
  if (!grantsMayStillArrive) return standIn.requests.length;
  grantsMayStillArrive = false;
  for (let seen = -1; seen !== standIn.requests.length; ) {
    seen = standIn.requests.length;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return standIn.requests.length;
}

const isProblem = (res: Answer) => res.headers['content-type'] === 'application/problem+json';

/**
 * Fastify's own body parsing runs before roomkey: its JSON parser in body-parser mode, and in
 * every mode its refusal of a media type it has no parser for or (Fastify 5) cannot parse.
 * `tokenErrorHandler()` answers those as contract problems in these words, without the
 * protocol's members (the conference route's `success: false`). Fastify's JSON parser reads
 * every charset as UTF-8, and Fastify 4 refuses blanks around a Content-Type's `;` and `=`.
 */
const FASTIFY_MEDIA_TYPE = 'Send the body as application/json (UTF-8).';
const FASTIFY_PARSER_DETAILS = [
  'The request body is not valid JSON.',
  'The request body is too large.',
  'The request body does not match its Content-Length.',
];

function answeredByFastify(mode: Mode, res: Answer): boolean {
  if (mode.variant.framework !== 'fastify' || !isProblem(res)) return false;
  const { detail } = JSON.parse(res.text) as { detail?: string };
  return detail === FASTIFY_MEDIA_TYPE || (mode.bodyParser && FASTIFY_PARSER_DETAILS.includes(detail ?? ''));
}

async function verifyHs256(token: string, secret: string): Promise<JWTPayload> {
  const { payload } = await jwtVerify(token, new TextEncoder().encode(secret), {
    algorithms: ['HS256'],
    currentDate: clock.date(),
  });
  return payload;
}

/** A conference token: signed with the conference secret, for this user and room, with a PubNub token inside. */
async function expectConferenceToken(token: string, user: string, room: string): Promise<void> {
  const payload = await verifyHs256(token, CREDENTIALS.conferenceSecret);
  expect(payload).toMatchObject({ uid: user, roomId: room, pubnubSubscribeKey: CREDENTIALS.pubnubSubscribeKey });
  expect(standIn.tokens).toContain(payload.pubnubToken);
  issued.push(payload.pubnubToken as string);
}

async function expectVonageToken(token: string, flavor: Flavor, session: string): Promise<void> {
  const { payload } =
    flavor === 'vonage'
      ? await jwtVerify(token, publicKey, { algorithms: ['RS256'], currentDate: clock.date() })
      : { payload: await verifyHs256(token, OPENTOK_SECRET) };
  expect(payload.session_id).toBe(session);
  expect(payload[flavor === 'vonage' ? 'application_id' : 'iss']).toBe(
    flavor === 'vonage' ? APPLICATION_ID : OPENTOK_API_KEY,
  );
}

/** A 200 for a valid request: exactly the tokens it addresses, each verifiable and naming what was asked. */
async function expectIssued(res: Answer, req: FuzzRequest, verdict: Verdict & { kind: 'valid' }, flavor: Flavor) {
  const user = caller(req.authorization) as string;
  const body = JSON.parse(res.text);
  const asked = verdict.body;
  if (req.route === 'chat') {
    expect(Object.keys(body)).toEqual(['token']);
    expect(standIn.tokens).toContain(body.token);
    return;
  }
  if (req.route === 'conference') {
    expect(Object.keys(body).sort()).toEqual(['success', 'token']);
    expect(body.success).toBe(true);
    await expectConferenceToken(body.token, user, asked.channelId as string);
    return;
  }
  expect(Object.keys(body).sort()).toEqual(['identity', 'role', 'tokens']);
  expect(body.identity).toBe(user);
  expect(body.role).toBe(asked.role ?? 'moderator');
  expect(Object.keys(body.tokens).sort()).toEqual([...verdict.tokens].sort());
  const { red5pro, conference, chat, vonage, turn } = body.tokens;
  if (red5pro !== undefined) {
    expect((await verifyHs256(red5pro.token, SECRET))['red5-room']).toBe(asked.room);
    await expectConferenceToken(conference.token, user, asked.room as string);
  }
  if (chat !== undefined) expect(standIn.tokens).toContain(chat.token);
  if (vonage !== undefined) await expectVonageToken(vonage.token, flavor, asked.session as string);
  if (turn !== undefined)
    expectTurnCredentials(turn, user, Math.min((asked.ttlMinutes as number | undefined) ?? 720, 720));
}

/** TURN credentials as coturn checks them: `<expiry>:<user>`, base64(HMAC-SHA1(secret, username)). */
function expectTurnCredentials(turn: { iceServers: unknown; expiresAt: string }, user: string, minutes: number) {
  const expiry = Math.floor(clock.now() / 1000) + minutes * 60;
  const username = `${expiry}:${user}`;
  const credential = createHmac('sha1', TURN_SECRET).update(username).digest('base64');
  expect(turn).toEqual({
    iceServers: [{ urls: TURN_URLS, username, credential }],
    expiresAt: new Date(expiry * 1000).toISOString(),
  });
}

/** Every token string in a 2xx answer of any route. */
function tokensOf(res: Answer): string[] {
  const body = JSON.parse(res.text) as {
    token?: unknown;
    tokens?: Record<string, { token?: unknown; iceServers?: { credential?: unknown }[] }>;
  };
  // TURN's credential is its secret part: kept for the leak check like a token.
  const all = [
    body.token,
    ...Object.values(body.tokens ?? {}).flatMap((entry) => [
      entry.token,
      ...(entry.iceServers ?? []).map((server) => server.credential),
    ]),
  ];
  return all.filter((token): token is string => typeof token === 'string');
}

/** Sends one fuzzed request to one app and checks the answer against the contract. */
async function exchange(mode: Mode, port: number, flavor: Flavor, req: FuzzRequest): Promise<void> {
  if (req.authorization !== undefined) authorizationsSent.add(req.authorization);
  const grantsBefore = await quietStandIn();
  const res = await send(port, req);
  const verdict = classify(req, { flavor, bodyParser: mode.bodyParser });
  grantsMayStillArrive = verdict.kind === 'platform' || verdict.kind === 'unknown';
  const why =
    verdict.kind === 'valid'
      ? verdict.tokens.join('+')
      : verdict.kind === 'refused'
        ? `${verdict.status} ${verdict.why}`
        : verdict.why;
  // Token values stay out of failure messages.
  const answer = res.text.replace(/"token":"[^"]*"/g, '"token":"…"').slice(0, 300);
  const context = `${mode.label} (${flavor}) ${describeRequest(req)} → ${res.status} ${answer}; oracle: ${verdict.kind} (${why})`;

  expect(res.status, context).toBeLessThan(500);
  expect(res.status, context).toBeGreaterThanOrEqual(200);
  const secrets = res.status === 200 ? SECRETS : REFUSAL_SECRETS;
  for (const secret of secrets) expect(res.text.includes(secret), `${context}: a secret in the answer`).toBe(false);
  const key = req.authorization?.trim().split(' ').at(-1) ?? '';
  if (key.length >= 12) expect(res.text.includes(key), `${context}: the Authorization value echoed`).toBe(false);

  const byFastify = answeredByFastify(mode, res);
  const parserAnswer =
    (mode.bodyParser && !isProblem(res) && PARSER_STATUSES.includes(res.status)) ||
    (byFastify && PARSER_STATUSES.includes(res.status));
  if (res.status === 200) {
    expect(res.headers['content-type'], context).toBe('application/json; charset=utf-8');
    expect(res.headers['cache-control'], context).toBe('no-store');
    issued.push(...tokensOf(res));
  } else {
    expect(res.text, `${context}: a token in a refusal`).not.toMatch(TOKEN_TEXT);
    if (!parserAnswer) {
      expect(res.headers['content-type'], context).toBe('application/problem+json');
      expect(res.headers['cache-control'], context).toBe('no-store');
      const problem = JSON.parse(res.text) as Record<string, unknown>;
      expect(CONTRACT_CODES[problem.code as string], context).toBe(res.status);
      expect(problem.status, context).toBe(res.status);
      expect(typeof problem.detail, context).toBe('string');
      if (req.route === 'conference' && !byFastify) expect(problem.success, context).toBe(false);
    }
  }

  switch (verdict.kind) {
    case 'valid':
      // The app's own parser may refuse what roomkey would accept (of two charset parameters,
      // express 5 reads the first, roomkey and express 4 the last): its answer, not roomkey's.
      if (parserAnswer) break;
      expect(res.status, context).toBe(200);
      await expectIssued(res, req, verdict, flavor);
      break;
    case 'refused': {
      expect(res.status, `${context}: an invalid request answered`).not.toBe(200);
      // Refused before any platform was asked: not even a PubNub grant was requested.
      expect(standIn.requests.length, `${context}: PubNub asked for a refused request`).toBe(grantsBefore);
      // A parsed chunked body is measured as roomkey re-serialises it, which may pass 16 KiB.
      const statuses = [verdict.status, ...(mode.bodyParser && req.chunked && verdict.status === 400 ? [413] : [])];
      if (!parserAnswer) expect(statuses, context).toContain(res.status);
      break;
    }
    case 'platform':
      if (!parserAnswer) expect(res.status, context).toBe(400);
      break;
    case 'unknown':
      break;
  }
}

// ---------------------------------------------------------------------------------------------
// The requests

const route = fc.constantFrom(...ROUTES);
const anyKey = fc.oneof(
  fc.constantFrom(...new Set(Object.values(FIELDS).flat()), '__proto__', 'constructor', 'prototype'),
  fc.string(),
);

/** fc.jsonValue and objects with random keys, as JSON. */
const jsonRequests = fc
  .tuple(
    route,
    fc.oneof(fc.jsonValue(), fc.dictionary(anyKey, fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 })),
    authorization,
  )
  .map(([to, value, auth]) => request(to, asJson(value), { authorization: auth }));

/** Bodies mixing valid, invalid and absent fields (and unknown ones), Content-Length or chunked. */
const mixedRequests = route.chain((to) =>
  fc
    .tuple(mixedBody(to), authorization, fc.boolean())
    .map(([body, auth, chunked]) => request(to, asJson(body), { authorization: auth, chunked })),
);

/** Raw JSON objects with repeated keys, `__proto__`/`constructor`/`prototype` keys, escaped keys. */
const keyRequests = route.chain((to) => {
  const fieldValue = fc.oneof(
    ...FIELDS[to].map((field) => validValue(field).map(asJson)),
    ...FIELDS[to].map((field) => invalidValue(field).map(asJson)),
  );
  const hostile = fc.tuple(hostileKeyText(to), fc.oneof(hostileValueText, fieldValue));
  return fc
    .tuple(validBody(to), fc.array(fc.tuple(fc.nat(), hostile), { minLength: 1, maxLength: 5 }), authorization)
    .map(([body, inserts, auth]) => {
      const entries: (readonly [string, string])[] = Object.entries(body).map(([k, v]) => [asJson(k), asJson(v)]);
      for (const [at, entry] of inserts) entries.splice(at % (entries.length + 1), 0, entry);
      return request(to, rawObject(entries), { authorization: auth });
    });
});

/** One character of a valid body (a key, a value, a transport) swapped for a look-alike or a control character. */
const lookalikeRequests = route.chain((to) =>
  fc
    .tuple(validBody(to), fc.nat(), fc.oneof(lookalike, control), fc.nat(), fc.constantFrom(...MUTATIONS))
    .map(([body, pick, char, at, how]) => {
      const slots: string[] = [];
      for (const [k, v] of Object.entries(body)) {
        slots.push(`key:${k}`);
        if (typeof v === 'string') slots.push(`value:${k}`);
        if (Array.isArray(v)) for (const index of v.keys()) slots.push(`item:${k}:${index}`);
      }
      const slot = slots[pick % slots.length] as string;
      const [kind, field = '', index] = slot.split(':');
      const entries = Object.entries(body).map(([k, v]): [string, unknown] => {
        if (k !== field) return [k, v];
        if (kind === 'key') return [mutate(k, char, at, how), v];
        if (kind === 'value') return [k, mutate(v as string, char, at, how)];
        return [k, (v as string[]).map((item, i) => (String(i) === index ? mutate(item, char, at, how) : item))];
      });
      const text = rawObject(entries.map(([k, v]) => [asJson(k), asJson(v)] as const));
      return request(to, text);
    }),
);

const NUMBER_BODIES: Readonly<Record<Route, readonly ((n: string) => string)[]>> = {
  tokens: [
    (n) => `{"room":"room-abc","ttlMinutes":${n}}`,
    (n) => `{"session":"${OWN_SESSION}","ttlMinutes":${n}}`,
    (n) => `{"turn":true,"ttlMinutes":${n}}`,
    (n) => `{"room":"room-abc","turn":${n}}`,
    (n) => `{"channel":"channel-global","role":"publisher","ttlMinutes":${n}}`,
    (n) => `{"room":${n}}`,
    (n) => `{"room":"room-abc","transports":[${n}]}`,
  ],
  chat: [
    (n) => `{"userId":"carol","channelId":"channel-global","ttlMinutes":${n}}`,
    (n) => `{"userId":"carol","channelId":"channel-global","read":${n}}`,
    (n) => `{"userId":${n},"channelId":"channel-global"}`,
  ],
  conference: [
    (n) => `{"userId":"carol","channelId":"room-abc","expirationMinutes":${n}}`,
    (n) => `{"userId":"carol","channelId":${n}}`,
  ],
};

/** Numbers at the edges (0, -1, 0.5, 1e308, -0, NaN as a string, huge integers, "60") in lifetimes and elsewhere. */
const numberRequests = route.chain((to) =>
  fc
    .tuple(fc.constantFrom(...NUMBER_BODIES[to]), edgeNumberText)
    .map(([template, number]) => request(to, template(number))),
);

/** Deeply nested bodies (up to 12,000 levels), with Content-Length or chunked. */
const nestingRequests = route.chain((to) =>
  fc
    .tuple(
      fc.constantFrom(...NESTING_SHAPES),
      fc.oneof(fc.constantFrom(1000, 4500, 5000, 8000, 8191, 10_000), fc.integer({ min: 1, max: 12_000 })),
      fc.boolean(),
    )
    .map(([shape, depth, chunked]) => request(to, nested(to, shape, depth), { chunked })),
);

/** Bodies just under, at and just over 16 KiB (and anywhere up to 40 KB), padded in four ways. */
const sizeRequests = route.chain((to) =>
  fc
    .tuple(
      fc.oneof(
        fc.constantFrom(BODY_LIMIT - 1, BODY_LIMIT, BODY_LIMIT + 1, BODY_LIMIT + 2, BODY_LIMIT + 64),
        fc.integer({ min: BODY_LIMIT - 300, max: BODY_LIMIT + 300 }),
        fc.integer({ min: 0, max: 40_000 }),
      ),
      fc.constantFrom('space', 'leading', 'field', 'multibyte' as const),
      fc.boolean(),
    )
    .map(([size, filler, chunked]) => request(to, padded(to, size, filler), { chunked })),
);

/** Random bytes, form bodies, other encodings and empty bodies, under random content types and charsets. */
const mediaRequests = route.chain((to) =>
  fc
    .tuple(contentType, otherBody(to), authorization, fc.boolean())
    .map(([type, body, auth, chunked]) => request(to, body, { contentType: type, authorization: auth, chunked })),
);

// ---------------------------------------------------------------------------------------------

describe('HTTP fuzzing of every route, in every adapter mode', () => {
  const restore: (() => void)[] = [];

  beforeAll(async () => {
    standIn = await startPubNubStandIn(standInKeyset(CREDENTIALS), () => clock.now());
    for (const stream of [process.stdout, process.stderr]) {
      const original = stream.write;
      stream.write = function write(this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]): boolean {
        written.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
        return (original as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
      } as typeof stream.write;
      restore.push(() => {
        stream.write = original;
      });
    }
    for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
      const original = console[method];
      console[method] = (...args: unknown[]) => {
        written.push(args.map(serialise).join(' '));
        original.apply(console, args);
      };
      restore.push(() => {
        console[method] = original;
      });
    }
  });

  afterAll(async () => {
    for (const undo of restore.reverse()) undo();
    await standIn?.close();
  });

  describe.each(MODES)('$label', (mode) => {
    const ports = new Map<Flavor, number>();
    const servers: http.Server[] = [];

    beforeAll(async () => {
      for (const flavor of FLAVORS) {
        const { target } = createApp(mode.variant, options(mode, flavor), {
          bodyParser: mode.bodyParser,
          sdkRoutes: true,
        });
        const server = http.createServer(target as http.RequestListener);
        servers.push(server);
        ports.set(flavor, await listen(server));
      }
    });

    afterAll(async () => {
      await Promise.all(servers.map(close));
    });

    const property = (requests: fc.Arbitrary<FuzzRequest>, numRuns: number, examples: [Flavor, FuzzRequest][] = []) =>
      fc.assert(
        fc.asyncProperty(fc.constantFrom(...FLAVORS), requests, (flavor, req) =>
          exchange(mode, ports.get(flavor) as number, flavor, req),
        ),
        { numRuns, examples },
      );

    it('arbitrary JSON values and objects with random keys', async () => {
      await property(jsonRequests, RUNS.json);
    });

    it('objects mixing valid, invalid, absent and unknown fields: tokens for the valid ones only', async () => {
      await property(mixedRequests, RUNS.mixed, [
        ['vonage', request('tokens', '{"room":"room-abc","channel":"channel-global","session":"1_MX4xMjM0"}')],
        ['opentok', request('chat', '{"userId":"carol","channelId":"x","read":false,"write":true}')],
      ]);
    });

    it('duplicate keys, __proto__/constructor/prototype keys and escaped keys in raw JSON text', async () => {
      await property(keyRequests, RUNS.keys, [
        ['vonage', request('tokens', '{"room":"room-abc","room":"a,b"}')],
        ['vonage', request('tokens', '{"room":"a,b","room":"room-abc"}')],
        ['vonage', request('tokens', '{"room":"room-abc","__proto__":{"role":"moderator"}}')],
        ['opentok', request('conference', '{"userId":"carol","channelId":"room-abc","constructor":{}}')],
        ['vonage', request('chat', '{"userId":"carol","channelId":"c","\\u0072ead":true}')],
      ]);
    });

    it('unicode look-alikes, invisible characters, control characters and NUL in every field', async () => {
      await property(lookalikeRequests, RUNS.lookalikes, [
        ['vonage', request('tokens', '{"room":"r\\u043eom-abc"}')],
        ['vonage', request('tokens', '{"room":"room-abc","role":"publisher\\u0000"}')],
        ['vonage', request('conference', '{"userId":"carol\\u200d","channelId":"room-abc"}')],
        ['vonage', request('tokens', '{"room":"room-abc","transports":["wh\\u0131p"]}')],
        ['vonage', request('tokens', '{"room":"room-abc","transports":["rt\\u017fp"]}')],
      ]);
    });

    it('numbers at the edges for ttlMinutes/expirationMinutes and elsewhere', async () => {
      await property(numberRequests, RUNS.numbers, [
        ['vonage', request('tokens', '{"room":"room-abc","ttlMinutes":-0}')],
        ['opentok', request('conference', '{"userId":"carol","channelId":"room-abc","expirationMinutes":1e308}')],
        ['vonage', request('chat', '{"userId":"carol","channelId":"channel-global","ttlMinutes":"60"}')],
      ]);
    });

    it('deeply nested bodies, with Content-Length and chunked', async () => {
      await property(nestingRequests, RUNS.nesting, [
        ['vonage', request('tokens', nested('tokens', 'unclosed', 10_000))],
        ['vonage', request('tokens', nested('tokens', 'arrays', 10_000), { chunked: true })],
        ['vonage', request('tokens', nested('tokens', 'arrays', 5000), { chunked: true })],
      ]);
    });

    it('bodies just under, at and over 16 KiB', async () => {
      await property(sizeRequests, RUNS.sizes, [
        ['vonage', request('tokens', padded('tokens', BODY_LIMIT, 'space'))],
        ['vonage', request('tokens', padded('tokens', BODY_LIMIT + 1, 'space'))],
        ['opentok', request('chat', padded('chat', BODY_LIMIT + 1, 'field'), { chunked: true })],
      ]);
    });

    it('non-JSON bodies, random content types and charsets, empty bodies', async () => {
      await property(mediaRequests, RUNS.media, [
        ['vonage', request('tokens', '', { contentType: 'application/json' })],
        ['vonage', request('tokens', '{"room":"room-abc"}', { contentType: 'application/json; charset=utf-16' })],
        ['vonage', request('chat', 'userId=carol&channelId=c', { contentType: 'application/x-www-form-urlencoded' })],
        ['vonage', request('tokens', Buffer.from('{"room":"room-abc"}', 'utf16le'))],
      ]);
    });

    it('still answers known-good requests on every route with verifiable tokens afterwards', async () => {
      for (const flavor of FLAVORS) {
        const port = ports.get(flavor) as number;
        const all = request(
          'tokens',
          asJson({
            room: 'room-abc',
            role: 'publisher',
            transports: ['WHIP'],
            channel: 'channel-global',
            session: OWN_SESSION,
            turn: true,
            ttlMinutes: 30,
          }),
        );
        const res = await send(port, all);
        expect(res.status, res.text).toBe(200);
        const body = JSON.parse(res.text);
        expect(Object.keys(body.tokens).sort()).toEqual(['chat', 'conference', 'red5pro', 'turn', 'vonage']);
        expectTurnCredentials(body.tokens.turn, 'carol', 30);
        const red5pro = await verifyHs256(body.tokens.red5pro.token, SECRET);
        expect(red5pro).toMatchObject({ sub: 'carol', 'red5-room': 'room-abc', 'red5-transport': 'WHIP' });
        expect(red5pro.exp).toBe(Math.floor(clock.now() / 1000) + 30 * 60);
        await expectConferenceToken(body.tokens.conference.token, 'carol', 'room-abc');
        expect(standIn.tokens).toContain(body.tokens.chat.token);
        await expectVonageToken(body.tokens.vonage.token, flavor, OWN_SESSION);
        issued.push(...tokensOf(res));

        const grants = standIn.requests.length;
        const chat = await send(port, request('chat', '{"userId":"carol","channelId":"channel-global","write":true}'));
        expect(chat.status, chat.text).toBe(200);
        expect(standIn.tokens).toContain(JSON.parse(chat.text).token);
        expect(standIn.requests.length).toBe(grants + 1);
        expect(standIn.last()).toMatchObject({ signatureValid: true, timestampValid: true });
        expect(standIn.last().json?.permissions.uuid).toBe('carol');
        issued.push(...tokensOf(chat));

        const conference = await send(
          port,
          request('conference', '{"userId":"carol","channelId":"room-abc","expirationMinutes":15}'),
        );
        expect(conference.status, conference.text).toBe(200);
        const token = JSON.parse(conference.text).token as string;
        await expectConferenceToken(token, 'carol', 'room-abc');
        expect(decodeJwt(token).exp).toBe(Math.floor(clock.now() / 1000) + 15 * 60);
        issued.push(...tokensOf(conference));
      }
    });
  });

  it('never logged or wrote a token, a secret, the private key or an Authorization value', () => {
    const log = logged.text();
    const text = `${log}\n${written.join('')}`;
    // Many tokens were issued and many requests refused, all of it logged: the absences below mean something.
    expect(issued.length).toBeGreaterThan(100);
    expect(authorizationsSent.size).toBeGreaterThan(5);
    expect(log).toContain('roomkey.issued');
    expect(log).toContain('roomkey.denied');
    expect(logged.levels()).toEqual(expect.arrayContaining(['info', 'warn']));
    // The capture of stdout/stderr is in place (an empty write shows nothing).
    const writes = written.length;
    process.stderr.write('');
    process.stdout.write('');
    expect(written.length).toBe(writes + 2);

    expect(text).not.toMatch(TOKEN_TEXT);
    for (const token of new Set(issued)) {
      for (const part of tokenParts(token)) expect(text.includes(part), 'an issued token in the log').toBe(false);
    }
    for (const token of standIn.tokens) expect(text.includes(token), 'a PubNub token in the log').toBe(false);
    expect(text.includes(SECRET), 'the Red5 Pro secret').toBe(false);
    expect(text.includes(OPENTOK_SECRET), 'the OpenTok secret').toBe(false);
    expect(text.includes(TURN_SECRET), 'the TURN secret').toBe(false);
    expect(text.includes(PRIVATE_PEM), 'the private key').toBe(false);
    for (const line of PEM_LINES) expect(text.includes(line), 'a line of the private key').toBe(false);
    expect(text.includes(PEM_LINES.join('')), 'the private key body').toBe(false);
    expect(text.includes(MASTER_KEY), 'the Red5 Cloud master key').toBe(false);
    expect(text.includes(MASTER_SECRET), 'the Red5 Cloud master secret').toBe(false);
    for (const field of credentialFields(CREDENTIALS)) {
      expect(text.includes(field), 'a field of the Red5 Cloud master secret').toBe(false);
    }
    for (const value of authorizationsSent) {
      const key = value.trim().split(' ').at(-1) ?? '';
      expect(text.includes(value), 'an Authorization value').toBe(false);
      if (key.length >= 12) expect(text.includes(key), 'an API key').toBe(false);
    }
  });
});
