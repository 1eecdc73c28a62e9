import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { TLSSocket } from 'node:tls';

/**
 * Node's own (undici) `Request`, taken before anything can replace the global:
 * `@hono/node-server` swaps in its lightweight class when a listener is made.
 */
const WebRequest = globalThis.Request;

/** What the bridge passes beside the request, as `Bun.serve` passes its server and `Deno.serve` its info. */
export interface Peer {
  /** The socket's remote address (Bun `server.requestIP(request)`, Deno `info.remoteAddr`). */
  readonly address: string | undefined;
  /** Whether the connection is TLS, as the runtime knows (a server started with TLS options). */
  readonly encrypted: boolean;
}

type Handle = (request: Request, peer: Peer) => Promise<Response>;

/**
 * A node:http listener that hands each request to a Fetch API handler as a real `Request`
 * (undici's, body streamed, not read first), the way Next.js route handlers, `Bun.serve` and
 * `Deno.serve` receive theirs, and writes the `Response` back. supertest needs a Node listener.
 */
export function fetchListener(handle: Handle): RequestListener {
  return (incoming, outgoing) => {
    respond(incoming, outgoing, handle).catch((error: unknown) => {
      // A handler that rejects: what a runtime answers (Next.js and Bun both answer 500).
      if (!outgoing.headersSent) outgoing.writeHead(500, { 'content-type': 'text/plain' });
      outgoing.end(error instanceof Error ? 'handler failed' : '');
    });
  };
}

async function respond(incoming: IncomingMessage, outgoing: ServerResponse, handle: Handle): Promise<void> {
  const scheme = (incoming.socket as TLSSocket).encrypted ? 'https' : 'http';
  const headers = new Headers();
  for (let index = 0; index < incoming.rawHeaders.length; index += 2) {
    headers.append(incoming.rawHeaders[index] as string, incoming.rawHeaders[index + 1] as string);
  }
  const method = incoming.method ?? 'GET';
  const hasBody = method !== 'GET' && method !== 'HEAD';
  const request = new WebRequest(new URL(incoming.url ?? '/', `${scheme}://${incoming.headers.host ?? 'localhost'}`), {
    method,
    headers,
    ...(hasBody && { body: Readable.toWeb(incoming) as ReadableStream<Uint8Array>, duplex: 'half' }),
  } as RequestInit);
  const encrypted = (incoming.socket as TLSSocket).encrypted === true;
  const response = await handle(request, { address: incoming.socket.remoteAddress, encrypted });
  const body = Buffer.from(await response.arrayBuffer());
  // A body of known length goes with its Content-Length, as the runtimes send it.
  outgoing.writeHead(response.status, { ...Object.fromEntries(response.headers), 'content-length': body.length });
  outgoing.end(body);
}
