import { createHook } from 'node:async_hooks';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { Auth } from '@vonage/auth';
import { verifySignature } from '@vonage/jwt';
import { Video } from '@vonage/video';
import { decodeJwt, decodeProtectedHeader, importSPKI, jwtVerify } from 'jose';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createVonageVideoSigner, defaultRsaConcurrency, RoomkeyError, VONAGE_ROLE_MAP } from '../src/index.js';
import { frozenClock, UUID } from './support/fixtures.js';
import { APPLICATION_ID, rsaKeys, sessionIdFor } from './support/vonage.js';

const require = createRequire(import.meta.url);
const keys = rsaKeys();
// Vonage's SDK reads the real clock: tests freeze Date for it and give ours the same instant,
// close to now so that verifiers that read the real clock accept the tokens.
const NOW_S = Math.floor(Date.now() / 1000);
const NOW_MS = NOW_S * 1000;
const sessionId = sessionIdFor(APPLICATION_ID);

function signer(privateKey: string = keys.pkcs8) {
  return createVonageVideoSigner({ applicationId: APPLICATION_ID, privateKey, clock: frozenClock(NOW_MS) });
}

function vonageToken(options: Record<string, unknown>): string {
  vi.useFakeTimers({ now: NOW_MS, toFake: ['Date'] });
  try {
    const video = new Video(new Auth({ applicationId: APPLICATION_ID, privateKey: keys.pkcs8 }));
    return video.generateClientToken(sessionId, options);
  } finally {
    vi.useRealTimers();
  }
}

afterEach(() => {
  vi.useRealTimers();
});

describe('Vonage Video signer: the same tokens as Vonage’s own SDK', () => {
  const cases: Array<[string, Parameters<ReturnType<typeof signer>['sign']>[0], Record<string, unknown>]> = [
    ['a default publisher', { sessionId, role: 'publisher' }, { role: 'publisher' }],
    [
      'a subscriber for one hour',
      { sessionId, role: 'subscriber', ttlSeconds: 3600 },
      { role: 'subscriber', expireTime: NOW_S + 3600 },
    ],
    ['a publisher-only token', { sessionId, role: 'publisher-only' }, { role: 'publisheronly' }],
    [
      'a moderator with connection data and layout classes',
      {
        sessionId,
        role: 'moderator',
        data: 'userId=42',
        initialLayoutClassList: ['focus', 'full'],
        expireTime: NOW_S + 600,
      },
      { role: 'moderator', data: 'userId=42', initialLayoutClassList: ['focus', 'full'], expireTime: NOW_S + 600 },
    ],
  ];

  it.each(cases)('%s: claims and header equal the SDK’s but for jti', async (_name, input, sdkOptions) => {
    const ours = await signer().sign(input);
    const theirs = vonageToken(sdkOptions);
    const { jti: ourJti, ...ourClaims } = decodeJwt(ours.token);
    const { jti: theirJti, ...theirClaims } = decodeJwt(theirs);
    expect(ourClaims).toEqual(theirClaims);
    expect(Object.keys(decodeJwt(ours.token))).toEqual(Object.keys(decodeJwt(theirs)));
    expect(decodeProtectedHeader(ours.token)).toEqual(decodeProtectedHeader(theirs));
    expect(ourJti).toMatch(UUID);
    expect(theirJti).not.toBe(ourJti);
    expect(ours.claims).toEqual(decodeJwt(ours.token));
    expect(ours.expiresAt.getTime()).toBe((ourClaims.exp as number) * 1000);
  });

  it('writes exactly the claims of DESIGN.md for a plain request', async () => {
    const { token } = await signer().sign({ sessionId, role: 'subscriber' });
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'RS256', typ: 'JWT' });
    expect(decodeJwt(token)).toEqual({
      scope: 'session.connect',
      session_id: sessionId,
      role: 'subscriber',
      initial_layout_class_list: '',
      exp: NOW_S + 24 * 3600,
      sub: 'video',
      acl: { paths: { '/session/**': {} } },
      jti: expect.stringMatching(UUID),
      iat: NOW_S,
      application_id: APPLICATION_ID,
    });
  });

  it('is accepted by @vonage/jwt verifySignature and by jose with the public key', async () => {
    const { token } = await signer().sign({ sessionId, role: 'publisher', ttlSeconds: 600 });
    expect(verifySignature(token, keys.publicPem)).toBe(true);
    const { payload } = await jwtVerify(token, keys.publicKey, {
      algorithms: ['RS256'],
      currentDate: new Date(NOW_MS),
    });
    expect(payload.session_id).toBe(sessionId);
  });

  it('signs with PKCS#1 PEM text and with a key file path alike', async () => {
    for (const privateKey of [keys.pkcs1, keys.file]) {
      const { token } = await signer(privateKey).sign({ sessionId, role: 'publisher' });
      expect(verifySignature(token, keys.publicPem)).toBe(true);
    }
  });

  it('accepts PEM text on one line with literal \\n escapes, as keys arrive from .env files', async () => {
    for (const pem of [keys.pkcs1, keys.pkcs8]) {
      const oneLine = pem.trim().replaceAll('\n', '\\n');
      expect(oneLine).not.toContain('\n');
      const { token } = await signer(oneLine).sign({ sessionId, role: 'publisher' });
      expect(verifySignature(token, keys.publicPem)).toBe(true);
    }
  });

  it('maps roomkey roles onto the wire roles of DESIGN.md', () => {
    expect(VONAGE_ROLE_MAP).toEqual({
      subscriber: 'subscriber',
      'publisher-only': 'publisheronly',
      publisher: 'publisher',
      moderator: 'moderator',
    });
  });

  it('keeps the event loop free: many tokens sign concurrently on the thread pool', async () => {
    const vonage = signer();
    const tokens = await Promise.all(Array.from({ length: 16 }, () => vonage.sign({ sessionId, role: 'subscriber' })));
    expect(new Set(tokens.map((signed) => signed.claims.jti)).size).toBe(16);
    for (const { token } of tokens) expect(verifySignature(token, keys.publicPem)).toBe(true);
  });
});

describe('Vonage Video signer: the checks Vonage documents and its SDK leaves out', () => {
  const refusals: Array<[string, Record<string, unknown>]> = [
    ['an unknown role', { role: 'admin' }],
    ['a missing role', { role: undefined }],
    ['connection data over 1000 characters', { role: 'publisher', data: 'x'.repeat(1001) }],
    ['connection data that is not a string', { role: 'publisher', data: 42 }],
    ['an expireTime in the past', { role: 'publisher', expireTime: NOW_S - 1 }],
    ['an expireTime of now', { role: 'publisher', expireTime: NOW_S }],
    ['an expireTime more than 30 days ahead', { role: 'publisher', expireTime: NOW_S + 30 * 86400 + 1 }],
    ['a fractional expireTime', { role: 'publisher', expireTime: NOW_S + 100.5 }],
    ['a ttl over 30 days', { role: 'publisher', ttlSeconds: 30 * 86400 + 1 }],
    ['a ttl of zero', { role: 'publisher', ttlSeconds: 0 }],
    ['both ttlSeconds and expireTime', { role: 'publisher', ttlSeconds: 60, expireTime: NOW_S + 60 }],
    ['a layout class with a space', { role: 'publisher', initialLayoutClassList: ['a b'] }],
    ['a session id that is not one', { role: 'publisher', sessionId: 'not a session' }],
    ['an empty session id', { role: 'publisher', sessionId: '' }],
  ];

  it.each(refusals)('refuses %s with invalid_claim', async (_name, overrides) => {
    const error = await signer()
      .sign({ sessionId, ...overrides } as never)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RoomkeyError);
    expect((error as RoomkeyError).code).toBe('invalid_claim');
  });

  it('accepts exactly 1000 characters of connection data and exactly 30 days', async () => {
    const { claims } = await signer().sign({
      sessionId,
      role: 'publisher',
      data: 'x'.repeat(1000),
      ttlSeconds: 30 * 86400,
    });
    expect(claims.connection_data).toHaveLength(1000);
    expect(claims.exp).toBe(NOW_S + 30 * 86400);
  });

  it('turns a past expiry into an error where Vonage’s SDK silently issues 15 minutes', async () => {
    const theirs = decodeJwt(vonageToken({ role: 'publisher', expireTime: NOW_S - 60 }));
    expect(theirs.exp).toBe(NOW_S + 900);
    await expect(signer().sign({ sessionId, role: 'publisher', expireTime: NOW_S - 60 })).rejects.toMatchObject({
      code: 'invalid_claim',
    });
  });
});

describe('Vonage Video signer: configuration checked at creation', () => {
  it('refuses a 1024-bit RSA key', () => {
    const weak = rsaKeys(1024);
    expect(() => signer(weak.pkcs8)).toThrow(/1024-bit RSA key; at least 2048/);
  });

  it('refuses a key that is not RSA, text that is not a key, and a missing file, without echoing them', () => {
    const { generateKeyPairSync } = require('node:crypto') as typeof import('node:crypto');
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    const notAKey = '-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----';
    for (const [privateKey, message] of [
      [ec, /must be an RSA key/],
      [notAKey, /not a PEM private key/],
      ['/nonexistent/private.key', /neither PEM text nor a readable file \(ENOENT\)/],
      ['', /PEM text or the path/],
    ] as const) {
      let error: unknown;
      try {
        signer(privateKey);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).message).toMatch(message);
      if (privateKey.includes('BEGIN')) expect((error as Error).message).not.toContain(privateKey.split('\n')[1]);
    }
  });

  it('refuses an application id that is not a UUID', () => {
    expect(() => createVonageVideoSigner({ applicationId: 'app', privateKey: keys.pkcs8 })).toThrow(TypeError);
  });

  it('never puts key material in an error', async () => {
    const error: unknown = await signer()
      .sign({ sessionId, role: 'nobody' as never })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RoomkeyError);
    const body = keys.pkcs8.split('\n')[1] as string;
    expect(`${(error as Error).message}${(error as Error).stack}`).not.toContain(body);
  });
});

describe('Vonage Video signer: RSA work on the thread pool, a few jobs at a time', () => {
  /** Counts Node's own RSA signing jobs (`SIGNREQUEST`) between dispatch and callback. */
  function watchSignJobs() {
    const open = new Set<number>();
    const seen = { dispatched: 0, most: 0 };
    const hook = createHook({
      init(id, type) {
        if (type !== 'SIGNREQUEST') return;
        open.add(id);
        seen.dispatched++;
        seen.most = Math.max(seen.most, open.size);
      },
      after(id) {
        open.delete(id);
      },
    }).enable();
    return { seen, stop: () => hook.disable() };
  }

  async function signMany(options: { concurrency?: number }, count: number) {
    const limited = createVonageVideoSigner({ applicationId: APPLICATION_ID, privateKey: keys.pkcs8, ...options });
    const watch = watchSignJobs();
    try {
      const tokens = await Promise.all(
        Array.from({ length: count }, (_, index) =>
          limited.sign({ sessionId, role: 'publisher', data: `n=${index}` }).then(({ token }) => token),
        ),
      );
      return { tokens, ...watch.seen };
    } finally {
      watch.stop();
    }
  }

  it.each([1, 3])(
    'keeps at most %i signatures on the pool however many tokens are asked for at once',
    async (limit) => {
      const { tokens, dispatched, most } = await signMany({ concurrency: limit }, 24);
      expect(dispatched).toBe(24);
      expect(most).toBe(limit);
      // Every caller still gets its own, valid token.
      const key = await importSPKI(keys.publicPem, 'RS256');
      const data = await Promise.all(
        tokens.map(async (token) => (await jwtVerify(token, key, { algorithms: ['RS256'] })).payload.connection_data),
      );
      expect(data).toEqual(Array.from({ length: 24 }, (_, index) => `n=${index}`));
    },
  );

  it('by default runs one more at once than the cores, leaving a pool thread free', async () => {
    const expected = Math.max(1, Math.min(availableParallelism() + 1, 3));
    expect(defaultRsaConcurrency()).toBe(expected);
    const { most } = await signMany({}, 16);
    expect(most).toBe(expected);
  });

  it('reads the pool size from UV_THREADPOOL_SIZE', () => {
    vi.stubEnv('UV_THREADPOOL_SIZE', '1');
    try {
      expect(defaultRsaConcurrency()).toBe(1);
      vi.stubEnv('UV_THREADPOOL_SIZE', '64');
      expect(defaultRsaConcurrency()).toBe(availableParallelism() + 1);
      vi.stubEnv('UV_THREADPOOL_SIZE', 'many');
      expect(defaultRsaConcurrency()).toBe(Math.max(1, Math.min(availableParallelism() + 1, 3)));
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it.each([0, -1, 1.5, Number.NaN, '2'])('refuses concurrency %p at creation', (concurrency) => {
    expect(() =>
      createVonageVideoSigner({
        applicationId: APPLICATION_ID,
        privateKey: keys.pkcs8,
        concurrency: concurrency as number,
      }),
    ).toThrow(/concurrency must be a positive integer/);
  });

  it('a refused token takes no place in the queue: the next tokens are still signed', async () => {
    const limited = createVonageVideoSigner({ applicationId: APPLICATION_ID, privateKey: keys.pkcs8, concurrency: 1 });
    const results = await Promise.allSettled([
      limited.sign({ sessionId, role: 'nobody' as never }),
      limited.sign({ sessionId: 'not a session', role: 'publisher' }),
      limited.sign({ sessionId, role: 'subscriber' }),
      limited.sign({ sessionId, role: 'moderator' }),
    ]);
    expect(results.map(({ status }) => status)).toEqual(['rejected', 'rejected', 'fulfilled', 'fulfilled']);
  });
});
