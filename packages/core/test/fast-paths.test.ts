/**
 * The request path's fast paths agree with the slow, library-backed ones they stand in for:
 * whatever the quick request and grant checks accept, the valibot schemas accept with the same
 * output, and the success body written by hand is byte for byte what JSON.stringify writes.
 * Inputs are drawn near the valid shapes (the fast paths' whole job) and far from them.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkGrantBySchema, quickGrant } from '../src/grant.js';
import type { TokenIssuer } from '../src/pipeline.js';
import { tokenBodyJson } from '../src/problem.js';
import { parseTokenRequestBySchema, quickTokenRequest } from '../src/request.js';

const RUNS = { numRuns: 3000 };
const ROLES = ['subscriber', 'publisher-only', 'publisher', 'moderator'];
const name = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,20}$/),
  fc.constantFrom('', '.x', 'a,b', 'a b', 'r\u043eom', 'x'.repeat(129), 'A'.repeat(128)),
  fc.string(),
);
const session = fc.oneof(
  fc.stringMatching(/^[0-9]_[A-Za-z0-9_-]{4,40}$/),
  fc.constantFrom('1_', 'x_MX4', '1_MX4+/', ''),
  fc.string(),
);
const transport = fc.oneof(
  fc.constantFrom('WHIP', 'whep', 'Rtmp', 'RTSP', 'whıp', 'rtſp', 'SRT', '', 'WHIP,RTMP'),
  fc.string({ maxLength: 6 }),
);
const anything = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string()),
);
const role = fc.oneof(fc.constantFrom(...ROLES), fc.constantFrom('admin', 'Publisher', ''), anything);

const request = fc.dictionary(
  fc.oneof(fc.constantFrom('room', 'role', 'transports', 'channel', 'session', 'ttlMinutes'), fc.string()),
  fc.oneof(
    name,
    role,
    session,
    fc.array(transport, { maxLength: 10 }),
    fc.integer({ min: -2, max: 43_300 }),
    fc.double(),
    anything,
  ),
  { maxKeys: 6 },
);

/** Mostly the valid shape, sometimes anything: a grant is accepted only when every field is valid. */
const mostly = <T>(valid: fc.Arbitrary<T>, invalid: fc.Arbitrary<unknown>) =>
  fc.oneof({ arbitrary: valid, weight: 12 }, { arbitrary: invalid, weight: 1 });
const validName = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,20}$/);
const list = (valid: fc.Arbitrary<string>, any: fc.Arbitrary<string>) =>
  mostly(
    fc.oneof(fc.constant('any'), fc.array(valid, { maxLength: 4 })),
    fc.oneof(fc.array(any, { maxLength: 3 }), anything),
  );
const grant = fc.record(
  {
    role: mostly(fc.constantFrom(...ROLES), role),
    rooms: list(validName, name),
    channels: list(validName, name),
    sessions: list(fc.stringMatching(/^[0-9]_[A-Za-z0-9_-]{4,40}$/), session),
    transports: mostly(
      fc.oneof(
        fc.constant('any'),
        fc.array(fc.constantFrom('WHIP', 'whep', 'Rtmp', 'RTSP'), { minLength: 1, maxLength: 5 }),
      ),
      fc.oneof(fc.array(transport, { maxLength: 5 }), anything),
    ),
    ttlMinutes: mostly(
      fc.integer({ min: 1, max: 100_000 }),
      fc.oneof(fc.integer({ min: -1, max: 0 }), fc.double(), anything),
    ),
    name: mostly(
      fc.string({ minLength: 1, maxLength: 40 }),
      fc.oneof(fc.string({ maxLength: 300 }), fc.constant('a\nb'), anything),
    ),
    connectionData: mostly(
      fc.string({ maxLength: 40 }),
      fc.oneof(fc.string({ minLength: 990, maxLength: 1100 }), anything),
    ),
    chat: mostly(
      fc.record({ read: fc.boolean(), write: fc.boolean() }, { requiredKeys: [] }),
      fc.oneof(fc.record({ read: anything, extra: fc.boolean() }, { requiredKeys: [] }), anything),
    ),
    roles: anything,
  },
  { requiredKeys: [] },
);

function schemaAnswer<T>(run: () => T): { ok: true; value: T } | { ok: false } {
  try {
    return { ok: true, value: run() };
  } catch {
    return { ok: false };
  }
}

describe('fast paths agree with the schemas', () => {
  it('a request the quick check accepts, the schema accepts with the same output', () => {
    let accepted = 0;
    fc.assert(
      fc.property(request, (body) => {
        const quick = quickTokenRequest(body);
        if (quick === undefined) return;
        accepted++;
        const schema = schemaAnswer(() => parseTokenRequestBySchema(body));
        expect(schema).toEqual({ ok: true, value: quick });
      }),
      RUNS,
    );
    // The property says something only if the quick check accepted requests at all.
    expect(accepted).toBeGreaterThan(100);
  });

  it('a grant the quick check accepts, the schema accepts with the same output', () => {
    let accepted = 0;
    fc.assert(
      fc.property(grant, (value) => {
        const quick = quickGrant(value);
        if (quick === undefined) return;
        accepted++;
        const schema = schemaAnswer(() => checkGrantBySchema(value));
        expect(schema).toEqual({ ok: true, value: quick });
      }),
      RUNS,
    );
    expect(accepted).toBeGreaterThan(50);
  });

  it('the quick checks accept the common shapes, so the fast path is the one taken', () => {
    expect(quickTokenRequest({ room: 'room-abc', role: 'publisher', transports: ['whip', 'WHIP'] })).toEqual({
      room: 'room-abc',
      role: 'publisher',
      transports: ['WHIP'],
    });
    expect(quickGrant({ role: 'publisher', rooms: 'any', transports: ['whep'], name: 'Ann' })).toEqual({
      role: 'publisher',
      rooms: 'any',
      transports: ['WHEP'],
      name: 'Ann',
    });
  });

  it('the success body written by hand is what JSON.stringify writes', () => {
    const token = fc.oneof(
      fc.stringMatching(/^[A-Za-z0-9_-]{10,40}\.[A-Za-z0-9_-]{10,80}\.[A-Za-z0-9_-]{43}$/),
      fc.stringMatching(/^T1==[A-Za-z0-9+/=]{20,60}$/),
      fc.string(),
    );
    fc.assert(
      fc.property(
        fc.string(),
        fc.constantFrom(...ROLES),
        fc.dictionary(fc.oneof(fc.constantFrom('red5pro', 'conference', 'chat', 'vonage'), fc.string()), token, {
          minKeys: 1,
          maxKeys: 4,
        }),
        fc.date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true }),
        (identity, role, tokens, date) => {
          const body = {
            identity,
            role,
            tokens: Object.fromEntries(
              Object.entries(tokens).map(([key, value]) => [key, { token: value, expiresAt: date.toISOString() }]),
            ),
          };
          expect(tokenBodyJson(body)).toBe(JSON.stringify(body));
        },
      ),
      RUNS,
    );
  });
});

/** POSTs a body as a JSON body parser would have left it. */
const postParsed = (issuer: { handle: TokenIssuer<object>['handle'] }, body: object) =>
  issuer.handle({
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    stream: null,
    bodyUsed: true,
    parsedBody: body,
    native: {},
  });

describe('a polluted Object.prototype opens nothing a grant left out', () => {
  it('no channel, session or room beyond the grant while rooms, channels, sessions and transports are polluted', async () => {
    const { createTokenIssuer } = await import('../src/index.js');
    const issuer = createTokenIssuer({
      identify: () => ({ id: 'ann' }),
      authorize: () => ({ role: 'publisher', rooms: ['lobby'], transports: ['WHEP'] }),
      red5pro: { secret: 'pollution-test-secret-8f3k2m9q4w7e1r6t5y0u' },
    });
    const ask = (body: object) => postParsed(issuer, body);
    const polluted = Object.prototype as Record<string, unknown>;
    const written = process.stderr.write;
    process.stderr.write = () => true; // the 500s' stacks, expected here
    try {
      for (const key of ['rooms', 'channels', 'sessions', 'transports']) polluted[key] = 'any';
      for (const body of [{ room: 'boardroom' }, { room: 'lobby', transports: ['WHIP'] }]) {
        const { status } = await ask(body);
        expect(status, JSON.stringify(body)).not.toBe(200);
      }
    } finally {
      for (const key of ['rooms', 'channels', 'sessions', 'transports']) delete polluted[key];
      process.stderr.write = written;
    }
    expect((await ask({ room: 'lobby' })).status).toBe(200);
  });
});

describe('a grant field is read from the grant itself, never from a prototype', () => {
  const turnIssuer = async (grant: object) => {
    const { createTokenIssuer } = await import('../src/index.js');
    return createTokenIssuer({
      identify: () => ({ id: 'ann' }),
      authorize: () => grant as never,
      red5pro: { secret: 'pollution-test-secret-8f3k2m9q4w7e1r6t5y0u' },
      turn: { secret: 'pollution-turn-secret-2v8n4b6m1q9w3e7r5t0y', urls: ['turn:127.0.0.1:3478'] },
      logger: { info: () => {}, warn: () => {}, error: () => {} },
    });
  };
  const ask = postParsed;

  it('no TURN credentials for a grant without turn while Object.prototype.turn is true', async () => {
    const issuer = await turnIssuer({ role: 'subscriber', rooms: ['lobby'], transports: ['WHEP'] });
    const polluted = Object.prototype as Record<string, unknown>;
    let status: number;
    polluted.turn = true;
    try {
      ({ status } = await ask(issuer, { turn: true }));
    } finally {
      delete polluted.turn;
    }
    expect(status).not.toBe(200);
    expect((await ask(issuer, { turn: true })).status).toBe(403);
  });

  it("no room or TURN credentials that only the grant object's own prototype holds", async () => {
    const inherited = Object.assign(Object.create({ rooms: 'any', turn: true }), {
      role: 'subscriber',
      transports: ['WHEP'],
    });
    const issuer = await turnIssuer(inherited);
    // The grant's own fields are a valid grant: refused for what it leaves out (403), not a 500.
    expect((await ask(issuer, { turn: true })).status).toBe(403);
    expect((await ask(issuer, { room: 'lobby' })).status).toBe(403);
  });
});

describe('a polluted Object.prototype configures no platform', () => {
  it('an issuer created while Object.prototype.livekit is set issues no livekit token', async () => {
    const { createTokenIssuer } = await import('../src/index.js');
    const polluted = Object.prototype as Record<string, unknown>;
    polluted.livekit = { apiKey: 'APIpolluted', apiSecret: 'pollution-livekit-secret-3k9m2q8w7e4r1t6y' };
    let issuer: ReturnType<typeof createTokenIssuer>;
    try {
      issuer = createTokenIssuer({
        identify: () => ({ id: 'ann' }),
        authorize: () => ({ role: 'subscriber', rooms: ['lobby'], transports: ['WHEP'] }),
        red5pro: { secret: 'pollution-test-secret-8f3k2m9q4w7e1r6t5y0u' },
      });
    } finally {
      delete polluted.livekit;
    }
    const response = await issuer.handle({
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      stream: null,
      bodyUsed: true,
      parsedBody: { room: 'lobby' },
      native: {},
    });
    expect(response.status).toBe(200);
    expect(Object.keys(JSON.parse(response.body as string).tokens)).toEqual(['red5pro']);
  });
});
