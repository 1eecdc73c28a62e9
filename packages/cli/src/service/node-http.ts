import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { IncomingTokenRequest, TokenResponse } from '@roomkey/core';

/*
 * The one place where `roomkey serve` translates between node:http and the core's neutral
 * request and response. When the core's request interface changes, this is what changes.
 */

/** The core's request for a node:http request; `native` is the IncomingMessage itself. */
export function toTokenRequest(req: IncomingMessage, trustProxy: boolean): IncomingTokenRequest<IncomingMessage> {
  return {
    method: req.method ?? '',
    headers: req.headers,
    stream: req,
    native: req,
    get ip() {
      return clientAddress(req, trustProxy);
    },
    get secure() {
      return isSecure(req, trustProxy);
    },
  };
}

/** Writes the core's answer. */
export function writeResponse(res: ServerResponse, { status, headers, body }: TokenResponse): void {
  res.statusCode = status;
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.setHeader('content-length', Buffer.byteLength(body));
  res.end(body);
}

/**
 * The client's address. Trusting a proxy means trusting one: the address it appended last to
 * X-Forwarded-For (earlier entries were written by the client and prove nothing).
 */
export function clientAddress(req: IncomingMessage, trustProxy: boolean): string | undefined {
  if (trustProxy) {
    const forwarded = lastValue(req.headers['x-forwarded-for']);
    if (forwarded !== undefined) return forwarded;
  }
  return req.socket.remoteAddress;
}

function isSecure(req: IncomingMessage, trustProxy: boolean): boolean {
  if ((req.socket as TLSSocket).encrypted === true) return true;
  return trustProxy && lastValue(req.headers['x-forwarded-proto'])?.toLowerCase() === 'https';
}

function lastValue(header: string | string[] | undefined): string | undefined {
  const joined = Array.isArray(header) ? header.join(',') : header;
  const last = joined?.split(',').at(-1)?.trim();
  return last === '' ? undefined : last;
}
