/**
 * The body reader takes a Node request's body in one synchronous read once all of it is in the
 * stream's buffer, whether or not Node has marked the message complete yet (it does so in a
 * later callback than the one that delivers the body), and waits for the rest otherwise.
 */
import { once } from 'node:events';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readJsonBody } from '../src/request.js';

const BODY = JSON.stringify({ room: 'room1', role: 'publisher' });
const isThenable = (value: unknown) => typeof (value as { then?: unknown } | null)?.then === 'function';

/** A stream as Node's HTTP parser leaves it: bytes pushed, no reader, `complete` not set yet. */
function arriving(...chunks: string[]): Readable {
  const stream = new Readable({ read() {} });
  for (const chunk of chunks) stream.push(Buffer.from(chunk));
  return stream;
}

const source = (stream: Readable, length: number | undefined) => ({
  headers: {
    'content-type': 'application/json',
    ...(length === undefined ? {} : { 'content-length': String(length) }),
  },
  stream,
});

describe('readJsonBody on a Node stream', () => {
  it('reads a body whose declared length is all buffered at once, and the stream still ends', async () => {
    const stream = arriving(BODY.slice(0, 10), BODY.slice(10));
    const body = readJsonBody(source(stream, Buffer.byteLength(BODY)));
    expect(isThenable(body)).toBe(false);
    expect(body).toEqual({ room: 'room1', role: 'publisher' });
    const ended = once(stream, 'end');
    stream.push(null);
    await ended;
  });

  it('waits for the rest of a body when fewer bytes than declared have arrived', async () => {
    const stream = arriving(BODY.slice(0, 10));
    const body = readJsonBody(source(stream, Buffer.byteLength(BODY)));
    expect(isThenable(body)).toBe(true);
    stream.push(Buffer.from(BODY.slice(10)));
    stream.push(null);
    await expect(body).resolves.toEqual({ room: 'room1', role: 'publisher' });
  });

  it('waits for the end of a body sent without a Content-Length', async () => {
    const stream = arriving(BODY);
    const body = readJsonBody(source(stream, undefined));
    expect(isThenable(body)).toBe(true);
    stream.push(null);
    await expect(body).resolves.toEqual({ room: 'room1', role: 'publisher' });
  });

  it('refuses a body longer than its Content-Length when the stream ends', async () => {
    const stream = arriving(BODY);
    const body = readJsonBody(source(stream, Buffer.byteLength(BODY) + 5));
    expect(isThenable(body)).toBe(true);
    stream.push(null);
    await expect(body).rejects.toMatchObject({ status: 400 });
  });
});
