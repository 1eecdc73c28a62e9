import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { createRed5ProSigner, createRed5ProVerifier } from '../src/index.js';
import { expectRoomkeyError, frozenClock, makeSigner, NOW_S, OTHER_SECRET, SECRET, UUID } from './support/fixtures.js';

/**
 * A second language checks our tokens: Python's PyJWT, exactly as seed 001's Python example
 * uses it. Tokens and secrets travel through the environment, never argv (which `ps` shows).
 */
const PYTHON = '/usr/bin/python3';
const INSTALL_HINT = 'install python3-jwt (apt-get install -y python3-jwt) so that /usr/bin/python3 can import jwt';

const IMPORT_JWT = `
import json, os, sys
try:
    import jwt
except ImportError:
    sys.stderr.write('PYJWT_MISSING\\n')
    sys.exit(3)
`;

function runPython(script: string, env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      PYTHON,
      ['-c', IMPORT_JWT + script],
      { env: { PATH: '/usr/bin:/bin', PYTHONIOENCODING: 'utf-8', ...env }, timeout: 15_000 },
      (error, stdout, stderr) => {
        if (error === null) {
          resolve(stdout.trim());
        } else if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
          reject(new Error(`${PYTHON} is missing: install python3 and ${INSTALL_HINT}`));
        } else if (stderr.includes('PYJWT_MISSING')) {
          reject(new Error(`PyJWT is not available: ${INSTALL_HINT}`));
        } else {
          // The last line of a Python traceback names the exception without the token or secret.
          reject(new Error(`python failed: ${stderr.trim().split('\n').at(-1) ?? ''}`));
        }
      },
    );
  });
}

const DECODE = `
claims = jwt.decode(os.environ['TOKEN'], os.environ['SECRET'], algorithms=['HS256'], options={'verify_exp': False})
print(json.dumps({'header': jwt.get_unverified_header(os.environ['TOKEN']), 'claims': claims}))
`;

const DECODE_VERIFYING_TIME_AND_ISSUER = `
try:
    claims = jwt.decode(os.environ['TOKEN'], os.environ['SECRET'], algorithms=['HS256'], issuer='your-issuer')
    print(json.dumps(claims))
except jwt.PyJWTError as error:
    print(json.dumps({'error': type(error).__name__}))
`;

/** Seed 001's Python example, with the secret from the environment and "now" from the frozen clock. */
const ENCODE_SEED_001 = `
now = int(os.environ['NOW'])
payload = {
    'sub': 'testuser',
    'iss': 'your-issuer',
    'name': 'John Doe',
    'roles': 'red5-publisher,red5-subscriber',
    'red5-transport': 'WHIP,WHEP',
    'red5-room': 'room1,room2',
    'exp': now + 3600  # 1 hour from now
}
secret = os.environ['SECRET']
token = jwt.encode(payload, secret, algorithm='HS256')
print(token)
`;

const seedInput = {
  subject: 'testuser',
  name: 'John Doe',
  roles: ['red5-publisher', 'red5-subscriber'],
  transports: ['WHIP', 'WHEP'],
  rooms: ['room1', 'room2'],
} as const;

describe('PyJWT (Python) agrees with our Red5 Pro tokens', () => {
  it('/usr/bin/python3 can import PyJWT (fails, not skips, without python3-jwt)', async () => {
    const version = await runPython('print(jwt.__version__)', {});
    expect(version).toMatch(/^\d+\.\d+/);
  });

  it("decodes our seed-001 token and reads exactly the claims we wrote, with PyJWT's own HS256 check", async () => {
    const signed = await makeSigner({ issuer: 'your-issuer' }).sign({ ...seedInput, roles: [...seedInput.roles] });
    const output = JSON.parse(await runPython(DECODE, { TOKEN: signed.token, SECRET }));
    expect(output.header).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(output.claims).toEqual({
      sub: 'testuser',
      iss: 'your-issuer',
      name: 'John Doe',
      roles: 'red5-publisher,red5-subscriber',
      'red5-transport': 'WHIP,WHEP',
      'red5-room': 'room1,room2',
      exp: NOW_S + 3570,
      iat: NOW_S,
      jti: expect.stringMatching(UUID),
    });
    expect(output.claims).toEqual({ ...signed.claims });
  });

  it('verifies expiry and issuer of a token signed with the real clock', async () => {
    // The only test that reads the real clock: PyJWT checks exp against time.time().
    const signer = createRed5ProSigner({ secret: SECRET, issuer: 'your-issuer' });
    const signed = await signer.sign({
      rooms: 'any',
      subject: 'viewer456',
      roles: ['red5-subscriber'],
      transports: ['whep'],
    });
    const claims = JSON.parse(await runPython(DECODE_VERIFYING_TIME_AND_ISSUER, { TOKEN: signed.token, SECRET }));
    expect(claims).toEqual({ ...signed.claims });
    expect(claims['red5-transport']).toBe('WHEP');
  });

  it('refuses our token under another secret (PyJWT really checks the signature)', async () => {
    const signed = await createRed5ProSigner({ secret: SECRET, issuer: 'your-issuer' }).sign({
      roles: 'any',
      transports: 'any',
      rooms: 'any',
      subject: 'x',
    });
    const output = JSON.parse(
      await runPython(DECODE_VERIFYING_TIME_AND_ISSUER, { TOKEN: signed.token, SECRET: OTHER_SECRET }),
    );
    expect(output).toEqual({ error: 'InvalidSignatureError' });
  });

  it('refuses our expired token (exp in seconds, as PyJWT reads it)', async () => {
    const signer = makeSigner({ issuer: 'your-issuer', clock: frozenClock(Date.parse('2020-01-01T00:00:00Z')) });
    const signed = await signer.sign({
      roles: 'any',
      transports: 'any',
      rooms: 'any',
      subject: 'tempuser',
      ttlSeconds: 60,
    });
    const output = JSON.parse(await runPython(DECODE_VERIFYING_TIME_AND_ISSUER, { TOKEN: signed.token, SECRET }));
    expect(output).toEqual({ error: 'ExpiredSignatureError' });
  });

  it("accepts a token PyJWT encodes from seed 001's payload", async () => {
    const token = await runPython(ENCODE_SEED_001, { SECRET, NOW: String(NOW_S) });
    expect(token.split('.')).toHaveLength(3);
    const verifier = createRed5ProVerifier({
      secret: SECRET,
      expectedIssuer: 'your-issuer',
      ttlMinutes: 60,
      clock: frozenClock(),
    });
    const verified = await verifier.verify(token, { role: 'publisher', transport: 'whep', room: 'room2' });
    expect(verified).toEqual({
      subject: 'testuser',
      issuer: 'your-issuer',
      name: 'John Doe',
      roles: ['red5-publisher', 'red5-subscriber'],
      transports: ['WHIP', 'WHEP'],
      rooms: ['room1', 'room2'],
      expiresAt: new Date((NOW_S + 3600) * 1000),
      payload: {
        sub: 'testuser',
        iss: 'your-issuer',
        name: 'John Doe',
        roles: 'red5-publisher,red5-subscriber',
        'red5-transport': 'WHIP,WHEP',
        'red5-room': 'room1,room2',
        exp: NOW_S + 3600,
      },
    });
    await expectRoomkeyError(() => verifier.verify(token, { room: 'room3' }), 'room_denied');
  });

  it('rejects the PyJWT token under another secret', async () => {
    const token = await runPython(ENCODE_SEED_001, { SECRET, NOW: String(NOW_S) });
    const verifier = createRed5ProVerifier({ secret: OTHER_SECRET, clock: frozenClock() });
    await expectRoomkeyError(() => verifier.verify(token), 'signature_invalid');
  });
});
