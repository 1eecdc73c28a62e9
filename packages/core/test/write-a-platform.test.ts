/**
 * "Write a platform" in the README: its example is this suite's platform, byte for byte, and an
 * app-written platform gets the pipeline's identify, authorize, request and grant checks and
 * problems exactly as the built-in ones do. Tokens are checked with jose.
 */
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { createTokenIssuer, generateSecret, type IncomingTokenRequest, type TokenIssuer } from '@roomkey/core';
import { jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const README = new URL('../README.md', import.meta.url);
const EXAMPLE = new URL('./support/in-house-platform.ts', import.meta.url);
const SECRET = generateSecret();
const NOW = Date.UTC(2026, 10, 22, 7, 0, 0);

type Native = { user?: { id: string } };
interface Answer {
  readonly identity?: string;
  readonly code?: string;
  readonly detail?: string;
  readonly tokens: Record<string, { token: string; expiresAt: string }>;
}
type Example = typeof import('./support/in-house-platform.js');

function post(body: unknown, user: string | null = 'ann'): IncomingTokenRequest<Native> {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    stream: Readable.from([Buffer.from(JSON.stringify(body))], { objectMode: false }),
    native: user === null ? {} : { user: { id: user } },
  };
}

async function answer(issuer: TokenIssuer<Native>, body: unknown, user: string | null = 'ann') {
  const response = await issuer.handle(post(body, user));
  return { status: response.status, body: JSON.parse(response.body) as Answer };
}

let example: Example;
beforeAll(async () => {
  process.env.MEDIA_JWT_SECRET = SECRET;
  example = await import('./support/in-house-platform.js');
});
afterAll(() => {
  delete process.env.MEDIA_JWT_SECRET;
});

describe('Write a platform (README)', () => {
  it("the README's example is the platform tested here", () => {
    const readme = readFileSync(README, 'utf8');
    const section = readme.slice(readme.indexOf('## Write a platform'));
    const block = /```ts\n([\s\S]*?)\n```/.exec(section)?.[1];
    expect(block).toBe(readFileSync(EXAMPLE, 'utf8').trimEnd());
  });

  it("the README's issuer signs a token for the granted stream that jose verifies", async () => {
    const { status, body } = await answer(example.issuer, { stream: 'cam-ann' });
    expect(status).toBe(200);
    expect(body.identity).toBe('ann');
    const { payload, protectedHeader } = await jwtVerify(body.tokens.media?.token as string, Buffer.from(SECRET), {
      algorithms: ['HS256'],
    });
    expect(protectedHeader).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(payload).toMatchObject({ sub: 'ann', stream: 'cam-ann', actions: ['publish', 'read'] });
    expect((payload.exp as number) - (payload.iat as number)).toBe(3600);
  });

  describe('with a frozen clock', () => {
    const issuer = () =>
      createTokenIssuer<Native>({
        identify: (req) => (req.user ? { id: req.user.id } : null),
        authorize: ({ identity }) => ({ role: 'publisher', streams: [`cam-${identity.id}`], ttlMinutes: 10 }),
        platforms: [example.inHouseMediaPlatform({ secret: SECRET, now: () => NOW })],
      });

    it('maps the role, and the lifetime is capped by the grant', async () => {
      const { status, body } = await answer(issuer(), { stream: 'cam-ann', role: 'subscriber' });
      expect(status).toBe(200);
      const { payload } = await jwtVerify(body.tokens.media?.token as string, Buffer.from(SECRET), {
        algorithms: ['HS256'],
        currentDate: new Date(NOW),
      });
      expect(payload).toEqual({
        sub: 'ann',
        stream: 'cam-ann',
        actions: ['read'],
        iat: NOW / 1000,
        exp: NOW / 1000 + 600,
      });
      expect(body.tokens.media?.expiresAt).toBe(new Date(NOW + 600_000).toISOString());
    });

    it('refuses a stream the grant does not list (403), a malformed one (400) and nobody (401)', async () => {
      expect((await answer(issuer(), { stream: 'cam-bob' })).status).toBe(403);
      const malformed = await answer(issuer(), { stream: 'Cam Bob' });
      expect(malformed).toMatchObject({ status: 400, body: { code: 'invalid_request' } });
      expect(malformed.body.detail).toContain('stream must be 1-64 characters of a-z 0-9 -');
      expect((await answer(issuer(), { stream: 'cam-ann' }, null)).status).toBe(401);
    });

    it('refuses a room (no platform here issues for it) and an unknown field (400)', async () => {
      expect(await answer(issuer(), { room: 'stage' })).toMatchObject({
        status: 400,
        body: { detail: 'This service issues no tokens for "room".' },
      });
      expect((await answer(issuer(), { stream: 'cam-ann', streem: 'x' })).status).toBe(400);
    });

    it('a grant field the platform does not declare is the app bug it is (500)', async () => {
      const wrong = createTokenIssuer<Native>({
        identify: () => ({ id: 'ann' }),
        authorize: () => ({ role: 'publisher', streams: 'every' as 'any' }),
        platforms: [example.inHouseMediaPlatform({ secret: SECRET })],
        logger: { info() {}, warn() {}, error() {} },
      });
      expect((await answer(wrong, { stream: 'cam-ann' })).status).toBe(500);
    });
  });

  it('a weak secret, or a platform addressed by no field, stops the start', () => {
    expect(() => example.inHouseMediaPlatform({ secret: 'short' })).toThrow(/MEDIA_JWT_SECRET is too short/);
    const { requestFields: _fields, ...addressedByNothing } = example.inHouseMediaPlatform({ secret: SECRET });
    expect(() => createTokenIssuer({ identify: () => null, platforms: [addressedByNothing] })).toThrow(
      /addressed by "stream", which is no request field/,
    );
  });

  it('a platform whose name, lifetimes or issue the pipeline cannot use stops the start', () => {
    const good = example.inHouseMediaPlatform({ secret: SECRET });
    const start = (platform: unknown) =>
      createTokenIssuer({ identify: () => null, platforms: [platform as typeof good] });
    expect(() => start(good)).not.toThrow();
    // maxTtlSeconds from Number(process.env.UNSET) is NaN: every token's exp would be NaN, written as null.
    for (const maxTtlSeconds of [Number.NaN, Number.POSITIVE_INFINITY, 0, -60, 1.5, '3600']) {
      expect(() => start({ ...good, maxTtlSeconds })).toThrow(/platform "media": maxTtlSeconds must be/);
    }
    for (const defaultTtlSeconds of [Number.NaN, Number.POSITIVE_INFINITY, 0, '600']) {
      expect(() => start({ ...good, defaultTtlSeconds })).toThrow(/platform "media": defaultTtlSeconds must be/);
    }
    for (const tokenName of ['', 5, undefined, '__proto__']) {
      expect(() => start({ ...good, tokenName })).toThrow(/tokenName must be/);
    }
    expect(() => start({ ...good, issue: undefined })).toThrow(/platform "media": issue must be a function/);
    expect(() => start(null)).toThrow(/platforms must be an array of platform objects/);
  });
});
