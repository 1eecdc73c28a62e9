import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for PubNub Access Manager v3's grant endpoint: a real HTTP server on
 * 127.0.0.1 that checks requests the way PubNub documents (v2 signature, timestamp within
 * 60 s, a JSON body with a ttl of 1 to 43200 minutes), records every request, and answers like
 * PubNub. Its signature check is written here from PubNub's description, independently of
 * roomkey's signer, and is itself checked against requests made by PubNub's own SDK.
 */

export interface StandInKeyset {
  readonly publishKey: string;
  readonly subscribeKey: string;
  readonly secretKey: string;
}

/** How the stand-in answers a well-formed, correctly signed grant. */
export type StandInMode = 'ok' | 'forbidden' | 'error' | 'garbage' | 'no-token' | 'redirect' | 'hang';

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  /** The query exactly as sent, before any decoding. */
  readonly rawQuery: string;
  /** Decoded query, in the order sent. */
  readonly query: Readonly<Record<string, string>>;
  readonly contentType: string | undefined;
  readonly body: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  readonly json: GrantBody | undefined;
  readonly signatureValid: boolean;
  readonly timestampValid: boolean;
  /** The token answered, when one was. */
  readonly token: string | undefined;
}

export interface GrantBody {
  readonly ttl: number;
  readonly permissions: {
    readonly uuid?: string;
    readonly resources: Record<string, Record<string, number>>;
    readonly patterns: Record<string, Record<string, number>>;
    readonly meta: Record<string, unknown>;
  };
}

export interface PubNubStandIn {
  /** `127.0.0.1:PORT`, for the `origin` setting with `ssl: false`. */
  readonly origin: string;
  mode: StandInMode;
  readonly requests: RecordedRequest[];
  /** Every token answered, for leak checks. */
  readonly tokens: string[];
  /** The last request, failing the test when there was none. */
  last(): RecordedRequest;
  close(): Promise<void>;
}

/** PubNub's query value encoding, as PubNub documents it: encodeURIComponent plus !~*'(). */
function pubnubEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!~*'()]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function parseQuery(rawQuery: string): Record<string, string> {
  const query: Record<string, string> = {};
  if (rawQuery === '') return query;
  for (const pair of rawQuery.split('&')) {
    const at = pair.indexOf('=');
    const key = decodeURIComponent(at < 0 ? pair : pair.slice(0, at));
    query[key] = at < 0 ? '' : decodeURIComponent(pair.slice(at + 1));
  }
  return query;
}

/**
 * Recomputes a request's v2 signature from the method, the publish key, the path, the query
 * without `signature` (sorted by key, values re-encoded) and the body, and compares it in
 * constant time. One routine for every request the stand-in sees, whoever made it.
 */
export function verifyV2Signature(
  request: { method: string; path: string; rawQuery: string; body: string },
  keyset: StandInKeyset,
): boolean {
  const { signature, ...rest } = parseQuery(request.rawQuery);
  if (typeof signature !== 'string' || !signature.startsWith('v2.')) return false;
  const canonical = Object.keys(rest)
    .sort()
    .map((key) => `${key}=${pubnubEncode(rest[key] as string)}`)
    .join('&');
  const text = [request.method, keyset.publishKey, request.path, canonical, request.body].join('\n');
  const expected = `v2.${createHmac('sha256', Buffer.from(keyset.secretKey, 'utf8'))
    .update(Buffer.from(text, 'utf8'))
    .digest('base64')
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '')}`;
  const a = Buffer.from(expected);
  const b = Buffer.from(signature);
  return a.length === b.length && timingSafeEqual(a, b);
}

function isGrantBody(value: unknown): value is GrantBody {
  const body = value as GrantBody | null;
  return (
    typeof body === 'object' &&
    body !== null &&
    Number.isInteger(body.ttl) &&
    body.ttl >= 1 &&
    body.ttl <= 43_200 &&
    typeof body.permissions === 'object' &&
    body.permissions !== null &&
    typeof body.permissions.resources === 'object'
  );
}

function answer(res: ServerResponse, status: number, payload: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(typeof payload === 'string' ? payload : JSON.stringify(payload));
}

function pamError(res: ServerResponse, status: number, message: string): void {
  answer(res, status, { error: { message, source: 'grant', details: [] }, service: 'Access Manager', status });
}

/**
 * Starts the stand-in for one keyset. `now` is the stand-in's clock (epoch ms), against which it
 * checks the request's `timestamp` as PubNub does (at most 60 s apart).
 */
export async function startPubNubStandIn(keyset: StandInKeyset, now: () => number = Date.now): Promise<PubNubStandIn> {
  const requests: RecordedRequest[] = [];
  const tokens: string[] = [];
  const grantPath = `/v3/pam/${keyset.subscribeKey}/grant`;
  const state = { mode: 'ok' as StandInMode };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = req.url ?? '/';
      const at = url.indexOf('?');
      const path = at < 0 ? url : url.slice(0, at);
      const rawQuery = at < 0 ? '' : url.slice(at + 1);
      const body = Buffer.concat(chunks).toString('utf8');
      const query = parseQuery(rawQuery);
      let json: GrantBody | undefined;
      try {
        const parsed: unknown = JSON.parse(body);
        json = isGrantBody(parsed) ? parsed : undefined;
      } catch {
        json = undefined;
      }
      const method = req.method ?? '';
      const signatureValid = verifyV2Signature({ method, path, rawQuery, body }, keyset);
      const timestamp = Number(query.timestamp);
      const timestampValid = Number.isInteger(timestamp) && Math.abs(timestamp - now() / 1000) <= 60;
      const record = { method, path, rawQuery, query, contentType: req.headers['content-type'], body, json };
      const token = respond(res, { ...record, signatureValid, timestampValid });
      requests.push({ ...record, signatureValid, timestampValid, token });
    });
  });

  function respond(res: ServerResponse, request: Omit<RecordedRequest, 'token'>): string | undefined {
    if (request.method !== 'POST' || request.path !== grantPath) {
      pamError(res, 404, 'Not Found');
      return undefined;
    }
    if (!request.signatureValid) {
      pamError(res, 403, 'Invalid Signature');
      return undefined;
    }
    if (!request.timestampValid) {
      pamError(res, 403, 'Request timestamp is out of range');
      return undefined;
    }
    if (request.json === undefined || !/^application\/json\b/.test(request.contentType ?? '')) {
      pamError(res, 400, 'Invalid request body');
      return undefined;
    }
    switch (state.mode) {
      case 'forbidden':
        pamError(res, 403, 'Forbidden');
        return undefined;
      case 'error':
        pamError(res, 500, 'Internal Server Error');
        return undefined;
      case 'garbage':
        res.writeHead(200, { 'Content-Type': 'text/html' });
        res.end('<html><body>captive portal</body></html>');
        return undefined;
      case 'no-token':
        answer(res, 200, { status: 200, data: { message: 'Success' }, service: 'Access Manager' });
        return undefined;
      case 'redirect':
        res.writeHead(302, { Location: 'http://127.0.0.1:9/elsewhere' });
        res.end();
        return undefined;
      case 'hang':
        return undefined;
      case 'ok': {
        // Shaped like a real token (base64url of CBOR), unique per grant.
        const token = `qEF2AkF0${randomBytes(48).toString('base64url')}`;
        tokens.push(token);
        answer(res, 200, { status: 200, data: { message: 'Success', token }, service: 'Access Manager' });
        return token;
      }
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    origin: `127.0.0.1:${port}`,
    get mode() {
      return state.mode;
    },
    set mode(mode: StandInMode) {
      state.mode = mode;
    },
    requests,
    tokens,
    last() {
      const request = requests.at(-1);
      if (request === undefined) throw new Error('the PubNub stand-in received no request');
      return request;
    },
    close() {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A loopback origin with nothing listening: port 1023, below the ephemeral range that every
 * test server's port 0 comes from (and not one of the ports fetch refuses to dial), so no server
 * started in parallel can take it between the choice and the connection, as a freed ephemeral
 * port could (and then answered ECONNRESET).
 */
export async function closedPortOrigin(): Promise<string> {
  return '127.0.0.1:1023';
}
