import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The server's own clock: real time, never the faked `Date` a test may give the client. */
export const serverClock = () => performance.timeOrigin + performance.now();

export interface Answer {
  readonly status?: number;
  readonly headers?: Record<string, string>;
  /** A string is sent as is; anything else as JSON. */
  readonly body?: unknown;
  /** Hold the answer until this promise settles (for requests in flight). */
  readonly hold?: Promise<unknown>;
}

export interface ReceivedRequest {
  readonly body: string;
  readonly headers: IncomingHttpHeaders;
  /** By the server's clock. */
  readonly at: number;
}

export interface TokenServer {
  readonly url: string;
  readonly requests: ReceivedRequest[];
  /** Decides each answer; the default issues a one-hour token. */
  answer: (request: ReceivedRequest, index: number) => Answer;
  close(): Promise<void>;
}

/**
 * A token answer as roomkey writes it: `Date` and `expiresAt` from the server's clock,
 * `clockOffsetMs` away from real time.
 */
export function tokenAnswer(lifetimeMs: number, clockOffsetMs = 0, index = 0): Answer {
  const now = serverClock() + clockOffsetMs;
  return {
    headers: { date: new Date(now).toUTCString(), 'cache-control': 'no-store' },
    body: {
      identity: 'bob',
      role: 'publisher',
      tokens: { red5pro: { token: `token-${index}`, expiresAt: new Date(now + lifetimeMs).toISOString() } },
    },
  };
}

export function problem(status: number, code: string, detail: string, headers: Record<string, string> = {}): Answer {
  return { status, headers: { 'content-type': 'application/problem+json', ...headers }, body: { code, detail } };
}

/** A node:http server on a free loopback port that speaks the `/tokens` contract as each test scripts it. */
export async function startTokenServer(): Promise<TokenServer> {
  const requests: ReceivedRequest[] = [];
  const server: Server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    const received = { body, headers: req.headers, at: serverClock() };
    requests.push(received);
    const answer = state.answer(received, requests.length - 1);
    await answer.hold?.catch(() => {});
    const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body ?? {});
    res.writeHead(answer.status ?? 200, {
      'content-type': 'application/json',
      ...answer.headers,
    });
    res.end(text);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const state: TokenServer = {
    url: `http://127.0.0.1:${port}/tokens`,
    requests,
    answer: (_request, index) => tokenAnswer(3_600_000, 0, index),
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
  return state;
}
