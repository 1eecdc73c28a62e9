/**
 * What only Fastify has, through Fastify 4 and 5 (the shared contract runs in apps.ts's
 * variants): `tokenRoutes` keeps to its own encapsulated scope (the app's parsers, `bodyLimit`
 * and error handler stay for every other route), Fastify's `prefix`, checks at creation, and the
 * app's own logger used when the options name none.
 */
import { Writable } from 'node:stream';
import { issueTokens, tokenErrorHandler, tokenRoutes } from '@roomkey/fastify';
import fastify4 from 'fastify4';
import fastify5 from 'fastify5';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { type ContractOptions, fastifyListener, VARIANTS, type Variant } from './apps.js';
import { OPEN } from './support/grants.js';
import { expectProblem, expectTokenResponse, postJson, postRaw, tokensIn } from './support/http.js';
import { API_KEYS, apiKeyIdentify } from './support/identity.js';
import { captureLogger } from './support/logger.js';
import { JWT_LIKE, SECRET, tokenParts } from './support/tokens.js';

const ROOM = 'room-abc';
/** A token request of about 1 KiB: over the apps' `bodyLimit` below, well within roomkey's 16 KiB. */
const KIB_BODY = `{"room":"${ROOM}"${' '.repeat(1000)}}`;

// Typed as Fastify 5: the APIs used here are the same in 4.
const FASTIFIES = [
  { name: 'fastify4', Fastify: fastify4 as unknown as typeof fastify5 },
  { name: 'fastify5', Fastify: fastify5 },
] as const;

describe.each(FASTIFIES)('$name', ({ name, Fastify }) => {
  const variant = VARIANTS.find((candidate) => candidate.name === name) as Variant;
  const options = (overrides: Partial<ContractOptions> = {}): ContractOptions => ({
    identify: apiKeyIdentify(variant),
    red5pro: { secret: SECRET },
    ...overrides,
  });

  describe('tokenRoutes keeps to its own scope', () => {
    /** An app with a small bodyLimit and its own JSON route and error handler, plus roomkey. */
    function app() {
      const fastify = Fastify({ bodyLimit: 64 });
      fastify.setErrorHandler((error: Error & { statusCode?: number }, _request, reply) =>
        reply.code(error.statusCode ?? 500).send(`app handler: ${error.message}`),
      );
      fastify.addHook('onRequest', async (req) => {
        if (req.headers['x-fail'] !== undefined) throw new Error('the app refused this request');
      });
      fastify.post('/echo', async (req) => ({ echoed: req.body }));
      fastify.register(tokenRoutes(options()));
      // The same issuer options as a plain handler, in the app's scope: Fastify reads the body.
      fastify.all('/parsed-tokens', { errorHandler: tokenErrorHandler() }, issueTokens(options()));
      return request(fastifyListener(fastify));
    }

    it("reads the body itself, under roomkey's limit, not the app's bodyLimit", async () => {
      expectTokenResponse(await postRaw(app(), KIB_BODY, 'application/json'));
    });

    it("leaves the app's parser and bodyLimit to its other routes", async () => {
      const agent = app();
      const echo = await agent.post('/echo').set('content-type', 'application/json').send('{"a":1}');
      expect(echo.status, echo.text).toBe(200);
      expect(echo.body).toEqual({ echoed: { a: 1 } });
      const large = await agent.post('/echo').set('content-type', 'application/json').send(KIB_BODY);
      expect(large.status).toBe(413);
      expect(large.text).toMatch(/^app handler: /);
    });

    it("a handler in the app's scope gets the body Fastify parsed: the app's bodyLimit applies first", async () => {
      const agent = app();
      const small = await agent
        .post('/parsed-tokens')
        .set('content-type', 'application/json')
        .set('authorization', `Bearer ${API_KEYS.carol}`)
        .send(JSON.stringify({ room: ROOM }));
      expectTokenResponse(small);
      const large = await agent
        .post('/parsed-tokens')
        .set('content-type', 'application/json')
        .set('authorization', `Bearer ${API_KEYS.carol}`)
        .send(KIB_BODY);
      expectProblem(large, 413, 'payload_too_large');
    });

    it("passes errors that are not about the body on to the app's own error handler", async () => {
      const res = await postJson(app(), { room: ROOM }).set('x-fail', '1');
      expect(res.status).toBe(500);
      expect(res.text).toBe('app handler: the app refused this request');
    });
  });

  it("serves under Fastify's prefix", async () => {
    const fastify = Fastify();
    fastify.register(tokenRoutes(options()), { prefix: '/api' });
    const agent = request(fastifyListener(fastify));
    expectTokenResponse(
      await agent
        .post('/api/tokens')
        .set('content-type', 'application/json')
        .set('authorization', `Bearer ${API_KEYS.carol}`)
        .send(JSON.stringify({ room: ROOM })),
    );
    expect((await postJson(agent, { room: ROOM })).status).toBe(404);
  });

  describe("the app's own logger, when the options name none", () => {
    /** A Fastify app logging JSON lines at `info` into memory. */
    function logged() {
      const lines: string[] = [];
      const stream = new Writable({
        write(chunk, _encoding, done) {
          lines.push(...String(chunk).split('\n').filter(Boolean));
          done();
        },
      });
      const fastify = Fastify({ logger: { level: 'info', stream } });
      return { fastify, lines, events: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
    }

    const failing = {
      authorize: ({ request: asked }: { request: { room?: string } }) => {
        if (asked.room === 'broken') throw new Error('grant store down');
        return { ...OPEN, role: 'subscriber' as const };
      },
    };

    it.each([
      [
        'tokenRoutes',
        (fastify: ReturnType<typeof fastify5>, opts: ContractOptions) => fastify.register(tokenRoutes(opts)),
      ],
      [
        'issueTokens',
        (fastify: ReturnType<typeof fastify5>, opts: ContractOptions) => fastify.all('/tokens', issueTokens(opts)),
      ],
    ])('%s: audit events and failures go to it, with no token in them', async (_name, mount) => {
      const { fastify, lines, events } = logged();
      mount(fastify, options(failing));
      const agent = request(fastifyListener(fastify));
      const issued = await postJson(agent, { room: ROOM });
      expectTokenResponse(issued);
      expectProblem(await postJson(agent, { room: ROOM }, null), 401, 'unauthenticated');
      expectProblem(await postJson(agent, { room: 'broken' }), 500, 'internal_error');

      const seen = events();
      expect(seen).toContainEqual(expect.objectContaining({ event: 'roomkey.issued', level: 30 }));
      expect(seen).toContainEqual(expect.objectContaining({ event: 'roomkey.denied', level: 40 }));
      const failure = seen.find((line) => line.event === 'roomkey.error');
      expect(failure).toMatchObject({ level: 50, err: { message: 'grant store down' } });
      const text = lines.join('\n');
      expect(text).not.toMatch(JWT_LIKE);
      for (const token of tokensIn(issued)) for (const part of tokenParts(token)) expect(text).not.toContain(part);
      expect(text).not.toContain(API_KEYS.carol);
      expect(text).not.toContain(SECRET);
    });

    it('a logger in the options is used instead', async () => {
      const { fastify, events } = logged();
      const own = captureLogger();
      fastify.register(tokenRoutes(options({ logger: own.logger })));
      expectTokenResponse(await postJson(request(fastifyListener(fastify)), { room: ROOM }));
      expect(own.text()).toContain('roomkey.issued');
      expect(events().filter((line) => typeof line.event === 'string' && line.event.startsWith('roomkey'))).toEqual([]);
    });
  });
});

describe('tokenRoutes checks its routes when it is called', () => {
  const identify = () => null;

  it.each([
    ['no routes', {}, /tokenRoutes: name at least one route/],
    ['an unknown protocol', { chat: '/chat' }, /protocol must be one of roomkey, red5-chat, red5-conference/],
    ['an SDK route without red5cloud', { 'red5-chat': '/chat-token' }, /red5-chat route answers with a "chat" token/],
  ])('refuses %s with a TypeError', (_name, routes, message) => {
    expect(() => tokenRoutes({ identify, red5pro: { secret: SECRET } }, routes as never)).toThrow(TypeError);
    expect(() => tokenRoutes({ identify, red5pro: { secret: SECRET } }, routes as never)).toThrow(message);
  });
});
