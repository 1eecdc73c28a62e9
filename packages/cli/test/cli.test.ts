import { spawnSync } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  createOpenTokSigner,
  createVonageVideoSigner,
  decodeRed5MasterSecret,
  encodeRed5MasterSecret,
  generateSecret,
  verifyRed5ProToken,
} from '@roomkey/core';
import { jwtVerify, SignJWT } from 'jose';
import jsonwebtoken from 'jsonwebtoken';
import { describe, expect, it } from 'vitest';
import { BIN, roomkey, scratchFile } from './support/run.js';

const SECRET = generateSecret();
const WITH_SECRET = { RED5PRO_JWT_SECRET: SECRET };
/** The start of an ANSI colour sequence. */
const ESCAPE = '\u001b[';
const JWT_LIKE = /eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/;

async function signed(args: string[], env: Record<string, string> = WITH_SECRET): Promise<string> {
  const result = await roomkey(['sign', 'red5pro', ...args], env);
  expect(result.code, result.stderr).toBe(0);
  return result.stdout.trim();
}

/** A Red5 Pro-shaped token with any claims, signed by jose with the given secret. */
function handMade(claims: Record<string, unknown>, secret = SECRET, alg: 'HS256' | 'HS384' = 'HS256'): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg, typ: 'JWT' }).sign(Buffer.from(secret, 'utf8'));
}

const inFuture = (seconds: number) => Math.floor(Date.now() / 1000) + seconds;

describe('roomkey secret and service-key', () => {
  it('prints a new 32-byte base64url secret each time, and refuses a short one with exit 2', async () => {
    const [first, second] = await Promise.all([roomkey(['secret']), roomkey(['secret'])]);
    expect(first.stdout).toMatch(/^[A-Za-z0-9_-]{43}\n$/);
    expect(first.stdout).not.toBe(second.stdout);
    const json = await roomkey(['secret', '--bytes', '64', '--json']);
    expect(Buffer.from(JSON.parse(json.stdout).secret, 'base64url')).toHaveLength(64);
    const short = await roomkey(['secret', '--bytes', '8']);
    expect(short.code).toBe(2);
    expect(short.stderr).toMatch(/from 32 to 1024/);
  });

  it('makes a service key whose sha256 is what sha256sum prints, and hashes a key read from stdin', async () => {
    const made = await roomkey(['service-key', '--name', 'billing', '--json']);
    const { key, sha256, name } = JSON.parse(made.stdout);
    expect(name).toBe('billing');
    expect(key).toMatch(/^rk_[A-Za-z0-9_-]{43}$/);
    expect(sha256).toBe(createHash('sha256').update(key).digest('hex'));
    const hashed = await roomkey(['service-key', '--hash'], {}, `${key}\n`);
    expect(hashed.stdout.trim()).toBe(sha256);
    const human = await roomkey(['service-key']);
    expect(human.stdout).toMatch(/shown once/);
    expect(human.stdout).toMatch(/"sha256":"[0-9a-f]{64}"/);
    // The entry it prints is one roomkey serve accepts as it is (platforms and transports said).
    const entry = /^ {2}(\{.*\})$/m.exec(human.stdout)?.[1] ?? '';
    const file = scratchFile('roomkey.json', `{"identity":{"service":{"keys":[${entry}]}}}`);
    const checked = await roomkey(['serve', '--check', '--config', file], { RED5PRO_JWT_SECRET: generateSecret() });
    expect(checked.stderr).toBe('');
    expect(checked.code).toBe(0);
    const notAKey = await roomkey(['service-key', '--hash'], {}, 'hunter2');
    expect(notAKey.code).toBe(2);
    expect(notAKey.stderr).not.toContain('hunter2');
  });
});

describe('roomkey sign red5pro', () => {
  it('says on stderr when --ttl is capped, and the JSON gives the real expiry', async () => {
    const sign = (ttl: string, ...more: string[]) =>
      roomkey(
        ['sign', 'red5pro', '--subject', 'obs', '--role', 'subscriber', '--room', 'stage', '--any-transport'].concat(
          '--ttl',
          ttl,
          ...more,
        ),
        WITH_SECRET,
      );
    const result = await sign('2h', '--json');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/--ttl capped to 59\.5 minutes: the server accepts at most 60 minutes/);
    const { expiresAt, claims } = JSON.parse(result.stdout) as { expiresAt: string; claims: { exp: number } };
    expect(Date.parse(expiresAt) / 1000).toBe(claims.exp);
    expect(claims.exp - Date.now() / 1000).toBeLessThanOrEqual(59.5 * 60);
    const within = await sign('30m');
    expect(within.stderr).not.toMatch(/capped/);
  });

  it('prints a token that jose and jsonwebtoken verify with the secret, with exactly the asked claims', async () => {
    const token = await signed([
      '--subject',
      'obs-studio',
      '--role',
      'publisher-only',
      '--room',
      'stage',
      '--room',
      'backstage',
      '--transports',
      'rtmp,WHIP',
      '--ttl',
      '10m',
    ]);
    const { payload } = await jwtVerify(token, Buffer.from(SECRET), { algorithms: ['HS256'] });
    expect(payload).toMatchObject({
      sub: 'obs-studio',
      roles: 'red5-publisher',
      'red5-room': 'stage,backstage',
      'red5-transport': 'RTMP,WHIP',
    });
    expect((payload.exp as number) - Math.floor(Date.now() / 1000)).toBeGreaterThan(590);
    expect((payload.exp as number) - Math.floor(Date.now() / 1000)).toBeLessThanOrEqual(600);
    expect(jsonwebtoken.verify(token, SECRET, { algorithms: ['HS256'] })).toMatchObject({ sub: 'obs-studio' });
  });

  it('reads the secret from --secret-file, the issuer and server limit from the environment, and answers --json', async () => {
    const file = scratchFile('secret', `${SECRET}\n`);
    const result = await roomkey(
      [
        'sign',
        'red5pro',
        '--subject',
        'a',
        '--role',
        'subscriber',
        '--any-room',
        '--any-transport',
        '--secret-file',
        file,
        '--json',
      ],
      { RED5PRO_JWT_ISSUER: 'my-app', RED5PRO_JWT_TTL_MINUTES: '5' },
    );
    expect(result.code, result.stderr).toBe(0);
    const { token, claims, expiresAt } = JSON.parse(result.stdout);
    expect(claims).toMatchObject({ sub: 'a', iss: 'my-app', roles: 'red5-subscriber' });
    expect(claims).not.toHaveProperty('red5-room');
    expect(Date.parse(expiresAt) - Date.now()).toBeLessThanOrEqual(5 * 60_000 - 30_000);
    await expect(
      verifyRed5ProToken(token, { secret: SECRET, expectedIssuer: 'my-app', ttlMinutes: 5 }),
    ).resolves.toBeDefined();
  });

  it.each([
    ['no secret', ['--room', 'r', '--transports', 'WHIP'], {}, /set RED5PRO_JWT_SECRET or pass --secret-file/],
    ['no room and no --any-room', ['--transports', 'WHIP'], WITH_SECRET, /--room NAME .* or say --any-room/],
    ['no transports', ['--room', 'r'], WITH_SECRET, /--transports WHIP,WHEP, or say --any-transport/],
    ['a room with a comma', ['--room', 'a,b', '--any-transport'], WITH_SECRET, /cannot sign: .*comma/],
    [
      'a weak secret',
      ['--room', 'r', '--any-transport'],
      { RED5PRO_JWT_SECRET: 'short' },
      /RED5PRO_JWT_SECRET: secret/,
    ],
    [
      'a secret as a flag',
      ['--room', 'r', '--any-transport', '--secret', 'x'.repeat(40)],
      WITH_SECRET,
      /unknown option '--secret'/,
    ],
    ['a bad lifetime', ['--room', 'r', '--any-transport', '--ttl', '10'], WITH_SECRET, /90s, 10m or 2h/],
  ])('refuses %s with exit 2 and says what to fix', async (_name, args, env, message) => {
    const result = await roomkey(['sign', 'red5pro', '--subject', 's', '--role', 'publisher', ...args], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe('');
    expect(result.stderr).not.toContain('x'.repeat(40));
  });
});

describe('roomkey inspect on Red5 Pro tokens', () => {
  const settings = [
    '--ttl-minutes',
    '60',
    '--require-role',
    'publisher',
    '--require-transport',
    'whip',
    '--require-room',
    'stage',
  ];

  it('accepts a good token with exit 0, read from standard input, with every rule passed', async () => {
    const token = await signed([
      '--subject',
      'alice',
      '--role',
      'publisher',
      '--room',
      'stage',
      '--transports',
      'WHIP',
    ]);
    const result = await roomkey(['inspect', ...settings], WITH_SECRET, `${token}\n`);
    expect(result.code, result.stdout).toBe(0);
    expect(result.stdout).toMatch(/ACCEPTED/);
    for (const rule of ['algorithm', 'signature', 'expiry', 'lifetime', 'role', 'transport', 'room']) {
      expect(result.stdout).toMatch(new RegExp(`✓ ${rule}`));
    }
    expect(result.stdout).not.toContain(ESCAPE);
  });

  // Each case: the token, the rule that must fail, words the explanation must hold.
  const refused: [string, () => Promise<string>, string[], Record<string, string>, string, RegExp][] = [
    [
      'an expired token',
      () => handMade({ sub: 'a', exp: inFuture(-180) }),
      [],
      WITH_SECRET,
      'expiry',
      /expired 3 minutes ago/,
    ],
    [
      'a lifetime beyond jwtTtlMinutes',
      () => handMade({ sub: 'a', exp: inFuture(2 * 3600) }),
      ['--ttl-minutes', '60'],
      WITH_SECRET,
      'lifetime',
      /120 minutes from now, more than the server's jwtTtlMinutes \(60\)/,
    ],
    [
      'another secret',
      () => handMade({ sub: 'a', exp: inFuture(60) }, generateSecret()),
      [],
      WITH_SECRET,
      'signature',
      /does not match the secret from RED5PRO_JWT_SECRET/,
    ],
    [
      'a secret used base64-decoded',
      async () =>
        new SignJWT({ sub: 'a', exp: inFuture(60) })
          .setProtectedHeader({ alg: 'HS256' })
          .sign(Buffer.from(SECRET, 'base64url')),
      [],
      WITH_SECRET,
      'signature',
      /base64-DECODED bytes of the secret/,
    ],
    [
      'a secret with a newline at signing',
      () => handMade({ sub: 'a', exp: inFuture(60) }, `${SECRET}\n`),
      [],
      WITH_SECRET,
      'signature',
      /secret followed by a newline/,
    ],
    [
      'HS384',
      () => handMade({ sub: 'a', exp: inFuture(60) }, SECRET, 'HS384'),
      [],
      WITH_SECRET,
      'algorithm',
      /accepts only HS256/,
    ],
    [
      'another issuer',
      () => handMade({ sub: 'a', iss: 'other', exp: inFuture(60) }),
      ['--issuer', 'my-app'],
      WITH_SECRET,
      'issuer',
      /iss is "other" but the server expects "my-app"/,
    ],
    [
      'roles with a space after the comma',
      () => handMade({ sub: 'a', roles: 'red5-subscriber, red5-publisher', exp: inFuture(60) }),
      ['--require-role', 'publisher'],
      WITH_SECRET,
      'role',
      /" red5-publisher" has white space around it/,
    ],
    [
      'a room in another case',
      () => handMade({ sub: 'a', 'red5-room': 'Stage', exp: inFuture(60) }),
      ['--require-room', 'stage'],
      WITH_SECRET,
      'room',
      /"Stage" differs only in case/,
    ],
    [
      'a transport not allowed',
      () => handMade({ sub: 'a', 'red5-transport': 'WHEP', exp: inFuture(60) }),
      ['--require-transport', 'WHIP'],
      WITH_SECRET,
      'transport',
      /does not allow WHIP/,
    ],
    [
      'exp in milliseconds',
      () => handMade({ sub: 'a', exp: Date.now() + 60_000 }),
      ['--ttl-minutes', '60'],
      WITH_SECRET,
      'lifetime',
      /looks like milliseconds/,
    ],
  ];

  it.each(refused)(
    'refuses %s with exit 1, naming the rule and why; the core verifier agrees',
    async (_name, make, args, env, rule, why) => {
      const token = await make();
      const result = await roomkey(['inspect', token, ...args], env);
      expect(result.code, result.stdout).toBe(1);
      expect(result.stdout).toMatch(new RegExp(`✗ ${rule} `));
      expect(result.stdout).toMatch(new RegExp(`REFUSED \\(rule: ${rule}\\)`));
      expect(result.stdout).toMatch(why);
      const json = JSON.parse((await roomkey(['inspect', token, '--json', ...args], env)).stdout);
      expect(json).toMatchObject({ kind: 'red5pro', verdict: 'refused' });
      expect(json.checks.find((check: { status: string }) => check.status === 'fail').rule).toBe(rule);
      const options = {
        secret: SECRET,
        ...(args.includes('--ttl-minutes') && { ttlMinutes: 60 }),
        ...(args.includes('--issuer') && { expectedIssuer: 'my-app' }),
        require: {
          ...(args.includes('--require-role') && { role: 'publisher' as const }),
          ...(args.includes('--require-room') && { room: 'stage' }),
          ...(args.includes('--require-transport') && { transport: 'WHIP' }),
        },
      };
      await expect(verifyRed5ProToken(token, options)).rejects.toThrow();
    },
  );

  it('says plainly that the signature was not checked without a secret, and still explains the claims', async () => {
    const token = await signed(['--subject', 'bob', '--role', 'subscriber', '--room', 'lobby', '--any-transport']);
    const result = await roomkey(['inspect', token]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/- signature +NOT CHECKED: no secret given/);
    expect(result.stdout).toMatch(/SIGNATURE NOT CHECKED/);
    expect(result.stdout).toMatch(/no red5-transport claim: every protocol is allowed/);
    expect(result.stdout).toMatch(/expiry: .*in (59|60) minutes/);
    expect(JSON.parse((await roomkey(['inspect', token, '--json'])).stdout)).toMatchObject({
      verdict: 'unverified',
      signatureChecked: false,
    });
  });

  it('reads a token out of a WHIP URL, and refuses what is not a token with exit 1', async () => {
    const token = await signed(['--subject', 'a', '--role', 'publisher', '--room', 'stage', '--any-transport']);
    const fromUrl = await roomkey(
      ['inspect', '-'],
      WITH_SECRET,
      `https://media.example/live/whip/endpoint/stage?token=${token}`,
    );
    expect(fromUrl.code).toBe(0);
    const garbage = await roomkey(['inspect', 'hello']);
    expect(garbage.code).toBe(1);
    expect(garbage.stdout).toMatch(/not a JWT/);
    const usage = await roomkey(['inspect', '--require-role', 'admin', token]);
    expect(usage.code).toBe(2);
  });
});

describe('roomkey inspect on Red5 Cloud and Vonage tokens', () => {
  it('recognises a Red5 Cloud conference token, checks it with the master credentials and hides its PubNub token', async () => {
    const credentials = {
      conferenceSecret: generateSecret(),
      pubnubSecretKey: 'sec-c-test',
      pubnubPublishKey: 'pub-c-test',
      pubnubSubscribeKey: 'sub-c-test',
      streamManagerHost: 'sm.example.test',
    };
    const masterKey = generateSecret();
    const masterSecret = encodeRed5MasterSecret(masterKey, credentials);
    expect(decodeRed5MasterSecret(masterKey, masterSecret).conferenceSecret).toBe(credentials.conferenceSecret);
    const pubnubToken = `qEF2AkF0GmPAMT${'x'.repeat(60)}`;
    const token = await new SignJWT({
      uid: 'alice',
      roomId: 'room-abc',
      role: 'publisher',
      pubnubSubscribeKey: 'sub-c-test',
      pubnubPublishKey: 'pub-c-test',
      pubnubToken,
    })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(Buffer.from(credentials.conferenceSecret));
    const env = { RED5_MASTER_KEY: masterKey, RED5_MASTER_SECRET: masterSecret };
    const result = await roomkey(['inspect', token], env);
    expect(result.code, result.stdout).toBe(0);
    expect(result.stdout).toMatch(/Red5 Cloud conference token/);
    expect(result.stdout).toMatch(/may publish audio and video/);
    expect(result.stdout).toMatch(/✓ signature/);
    expect(result.stdout).not.toContain(pubnubToken);
    const forged = await roomkey(['inspect', token], {
      ...env,
      RED5_MASTER_SECRET: encodeRed5MasterSecret(masterKey, { ...credentials, conferenceSecret: generateSecret() }),
    });
    expect(forged.code).toBe(1);
    expect(forged.stdout).toMatch(/✗ signature/);
  });

  it('recognises Vonage Video and OpenTok (JWT and T1) tokens and checks them with their credentials', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const applicationId = '3a5c8b6e-0f4c-4a32-9a5d-6f2e1d7c8b90';
    const sessionId = `1_MX4xMjM0NTZ-fjE2OTk5OTk5OTk5OTl-${'A'.repeat(20)}`;
    const vonage = await createVonageVideoSigner({ applicationId, privateKey: pem }).sign({
      sessionId,
      role: 'moderator',
    });
    const vonageResult = await roomkey(['inspect', vonage.token], {
      VONAGE_PRIVATE_KEY: pem,
      VONAGE_APPLICATION_ID: applicationId,
    });
    expect(vonageResult.code, vonageResult.stdout).toBe(0);
    expect(vonageResult.stdout).toMatch(/Vonage Video client token/);
    expect(vonageResult.stdout).toMatch(/force others to disconnect/);
    expect(vonageResult.stdout).toMatch(/✓ signature +RS256/);

    const apiSecret = generateSecret();
    const opentok = createOpenTokSigner({ apiKey: '123456', apiSecret });
    for (const format of ['jwt', 't1'] as const) {
      const { token } = await opentok.sign({ sessionId, role: 'subscriber', format });
      const result = await roomkey(['inspect', token], { OPENTOK_API_KEY: '123456', OPENTOK_API_SECRET: apiSecret });
      expect(result.code, result.stdout).toBe(0);
      expect(result.stdout).toMatch(format === 'jwt' ? /OpenTok token \(JWT\)/ : /OpenTok token \(T1\)/);
      expect(result.stdout).toMatch(/✓ signature/);
      expect(result.stdout).toMatch(/may subscribe to streams, not publish/);
      const wrong = await roomkey(['inspect', token], { OPENTOK_API_SECRET: generateSecret() });
      expect(wrong.code).toBe(1);
    }
  });
});

describe('the roomkey command line', () => {
  it('has help with an example on every command, and usage mistakes exit 2', async () => {
    for (const command of [['secret'], ['service-key'], ['sign', 'red5pro'], ['inspect'], ['serve']]) {
      const help = await roomkey([...command, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(/Example:\n {2}\$ .*roomkey /);
    }
    const unknown = await roomkey(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command 'frobnicate'/);
    expect((await roomkey([])).code).toBe(2);
    expect((await roomkey(['--version'])).stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  const script = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;
  it.runIf(script)('colours its output on a terminal only, and never with NO_COLOR', async () => {
    const token = await signed(['--subject', 'a', '--role', 'publisher', '--room', 'stage', '--any-transport']);
    // `script` runs the command on a pseudo-terminal, as a person's shell would.
    // Without CI in the environment: Node reads a CI variable as a terminal of two colours.
    const { CI: _ci, ...ambient } = process.env;
    const onTerminal = (extra: Record<string, string>) =>
      spawnSync('script', ['-qec', `${process.execPath} ${BIN} inspect ${token}`, '/dev/null'], {
        env: { ...ambient, ...WITH_SECRET, TERM: 'xterm-256color', ...extra },
        encoding: 'utf8',
      }).stdout;
    expect(onTerminal({})).toContain(`${ESCAPE}32m✓`);
    expect(onTerminal({ NO_COLOR: '1' })).not.toContain(ESCAPE);
    expect(onTerminal({})).toMatch(/ACCEPTED/);
  });

  it('is the bin the package declares, and runs from the repository as npx --yes pnpm@10 roomkey', () => {
    const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    expect(fileURLToPath(new URL(`../${manifest.bin.roomkey}`, import.meta.url))).toBe(BIN);
    const root = fileURLToPath(new URL('../../../', import.meta.url));
    const result = spawnSync('npx', ['--yes', 'pnpm@10', '--silent', 'roomkey', 'secret'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout.trim()).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('never prints the secret it signs with', async () => {
    const outputs = await Promise.all([
      roomkey(
        ['sign', 'red5pro', '--subject', 'a', '--role', 'publisher', '--room', 'r', '--any-transport'],
        WITH_SECRET,
      ),
      roomkey(['inspect', await handMade({ sub: 'a', exp: inFuture(60) }, generateSecret())], WITH_SECRET),
    ]);
    for (const { stdout, stderr } of outputs) expect(`${stdout}${stderr}`).not.toContain(SECRET);
    expect(outputs[0]?.stdout).toMatch(JWT_LIKE);
  });
});
