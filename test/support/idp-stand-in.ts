import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

interface SigningKey {
  readonly kid: string;
  readonly alg: 'RS256' | 'ES256';
  readonly pair: KeyPair;
  readonly jwk: JWK;
}

export interface MintOptions {
  /** Sign with this published key (default: the current one). */
  readonly kid?: string;
  /** Lifetime in seconds from `now` (default 300); negative for an expired token. */
  readonly expiresIn?: number;
  /** `iat`/`exp` are counted from here, in epoch milliseconds (default Date.now()). */
  readonly now?: number;
  readonly issuer?: string;
  readonly audience?: string | string[];
  /** The `typ` header (default `at+jwt`). */
  readonly typ?: string;
}

/**
 * A local identity provider stand-in on node:http: OpenID Connect discovery and a JWKS with key
 * rotation, and access tokens signed by jose as the provider's signer. Counts what it serves.
 */
export interface IdpStandIn {
  readonly issuer: string;
  readonly jwksUrl: string;
  readonly port: number;
  /** Requests received so far, by path, whether answered normally or failed on purpose. */
  readonly hits: { discovery: number; jwks: number };
  /** The key tokens are signed with by default. */
  readonly currentKid: string;
  /** A signed access token with `sub`, `iss`, `aud`, `iat`, `exp` and the given claims. */
  mint(claims?: JWTPayload, options?: MintOptions): Promise<string>;
  /** Publishes a new key and signs with it from now on; the old key stays published. */
  rotate(alg?: 'RS256' | 'ES256'): Promise<string>;
  /** A key that was never published, for tokens with an unknown `kid`. */
  unpublishedKey(): Promise<{ sign(claims: JWTPayload, kid: string): Promise<string> }>;
  /** HS256 "signed" with the current public key (PEM) as the secret: the algorithm-confusion attack. */
  confusedToken(claims?: JWTPayload): Promise<string>;
  /** `alg: none`, no signature. */
  unsignedToken(claims?: JWTPayload): string;
  /** The discovery document claims this issuer instead of the real one. */
  lieAboutIssuer(issuer: string | undefined): void;
  /** Answers every request with this status (or normally with `undefined`). */
  failWith(status: number | undefined): void;
  /** Holds every answer until the returned function is called (a slow provider, or one that never answers). */
  hold(): () => void;
  /** Answers with a JSON body of this many bytes (`undefined`: normally), with or without Content-Length. */
  answerHuge(bytes: number | undefined, withLength?: boolean): void;
  /** Bytes of the huge body written so far (what the client let the provider send). */
  readonly hugeBytesWritten: number;
  /** Closes the listener: the provider is unreachable. */
  close(): Promise<void>;
}

export const IDP_AUDIENCE = 'https://video.example.test';

let first: Promise<KeyPair> | undefined;
function firstKey(): Promise<KeyPair> {
  first ??= generateKeyPair('RS256', { extractable: true });
  return first;
}

export async function startIdpStandIn(audience = IDP_AUDIENCE): Promise<IdpStandIn> {
  const keys: SigningKey[] = [];
  let current = '';
  let claimedIssuer: string | undefined;
  let failure: number | undefined;
  let held: Promise<void> | undefined;
  let huge: { bytes: number; withLength: boolean } | undefined;
  let hugeBytesWritten = 0;
  const hits = { discovery: 0, jwks: 0 };

  async function addKey(alg: 'RS256' | 'ES256'): Promise<string> {
    // Every provider starts with the same RSA key (made once: RSA key generation is slow);
    // rotation makes new ones.
    const pair =
      keys.length === 0 && alg === 'RS256' ? await firstKey() : await generateKeyPair(alg, { extractable: true });
    const kid = `key-${keys.length + 1}`;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid, alg, use: 'sig' };
    keys.push({ kid, alg, pair, jwk });
    current = kid;
    return kid;
  }
  await addKey('RS256');

  /** Streams a JSON array of `bytes` bytes in 16 KiB chunks, stopping when the client goes away. */
  function writeHuge(res: ServerResponse, bytes: number, withLength: boolean): void {
    res.writeHead(200, { 'content-type': 'application/json', ...(withLength && { 'content-length': String(bytes) }) });
    const chunk = '1,'.repeat(8192);
    let left = bytes - 2;
    res.write('[');
    const more = (): void => {
      while (left > 0 && !res.destroyed) {
        const piece = left >= chunk.length ? chunk : '1'.repeat(left);
        left -= piece.length;
        hugeBytesWritten += piece.length;
        if (!res.write(piece)) {
          res.once('drain', more);
          return;
        }
      }
      if (!res.destroyed) res.end(']');
    };
    more();
  }

  const server: Server = createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path === '/.well-known/openid-configuration') hits.discovery++;
    if (path === '/jwks') hits.jwks++;
    if (held !== undefined) await held;
    if (failure !== undefined) {
      res.writeHead(failure).end('failing on purpose');
      return;
    }
    if (huge !== undefined && (path === '/.well-known/openid-configuration' || path === '/jwks')) {
      writeHuge(res, huge.bytes, huge.withLength);
      return;
    }
    if (path === '/.well-known/openid-configuration') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ issuer: claimedIssuer ?? issuer, jwks_uri: `${issuer}/jwks` }));
      return;
    }
    if (path === '/jwks') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: keys.map((key) => key.jwk) }));
      return;
    }
    res.writeHead(404).end();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const issuer = `http://127.0.0.1:${port}`;

  const baseClaims = (claims: JWTPayload, options: MintOptions): JWTPayload => {
    const now = Math.floor((options.now ?? Date.now()) / 1000);
    return {
      sub: 'user-1',
      iss: options.issuer ?? issuer,
      aud: options.audience ?? audience,
      iat: now,
      exp: now + (options.expiresIn ?? 300),
      ...claims,
    };
  };
  const keyNamed = (kid: string): SigningKey => {
    const key = keys.find((candidate) => candidate.kid === kid);
    if (key === undefined) throw new Error(`no key ${kid}`);
    return key;
  };

  return {
    issuer,
    jwksUrl: `${issuer}/jwks`,
    port,
    hits,
    get currentKid() {
      return current;
    },
    async mint(claims = {}, options = {}) {
      const key = keyNamed(options.kid ?? current);
      return new SignJWT(baseClaims(claims, options))
        .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: options.typ ?? 'at+jwt' })
        .sign(key.pair.privateKey);
    },
    rotate: (alg = 'RS256') => addKey(alg),
    async unpublishedKey() {
      const pair = await generateKeyPair('RS256');
      return {
        sign: (claims, kid) =>
          new SignJWT(baseClaims(claims, {})).setProtectedHeader({ alg: 'RS256', kid }).sign(pair.privateKey),
      };
    },
    async confusedToken(claims = {}) {
      const key = keyNamed(current);
      const pem = await exportSPKI(key.pair.publicKey);
      const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
      const input = `${encode({ alg: 'HS256', kid: key.kid, typ: 'JWT' })}.${encode(baseClaims(claims, {}))}`;
      return `${input}.${createHmac('sha256', pem).update(input).digest('base64url')}`;
    },
    unsignedToken(claims = {}) {
      const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
      return `${encode({ alg: 'none', typ: 'JWT' })}.${encode(baseClaims(claims, {}))}.`;
    },
    lieAboutIssuer(value) {
      claimedIssuer = value;
    },
    failWith(status) {
      failure = status;
    },
    hold() {
      let resolveHeld: () => void = () => undefined;
      held = new Promise<void>((resolve) => {
        resolveHeld = resolve;
      });
      return () => {
        held = undefined;
        resolveHeld();
      };
    },
    answerHuge(bytes, withLength = false) {
      huge = bytes === undefined ? undefined : { bytes, withLength };
    },
    get hugeBytesWritten() {
      return hugeBytesWritten;
    },
    async close() {
      if (!server.listening) return;
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
