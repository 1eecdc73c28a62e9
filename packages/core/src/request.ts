import type { Readable } from 'node:stream';
import { parse as parseContentType } from 'content-type';
import * as v from 'valibot';
import { ASCII_LETTERS, NAME_PATTERN } from './names.js';
import { RED5PRO_TRANSPORTS } from './platforms/red5pro.js';
import { VONAGE_SESSION_PATTERN } from './platforms/vonage.js';
import { HttpProblem } from './problem.js';
import { isRole, ROLES, type Role } from './roles.js';

/** The largest request body roomkey reads (the HTTP contract: at most 16 KiB). */
export const MAX_BODY_BYTES = 16 * 1024;

/** How long reading a request body may take before 408, in milliseconds. */
export const DEFAULT_BODY_TIMEOUT_MS = 10_000;

/** Longest lifetime a request may ask for: 30 days, Vonage's cap and more than any other. */
export const MAX_TTL_MINUTES = 30 * 24 * 60;

/** A Vonage/OpenTok session id (see {@link VONAGE_SESSION_PATTERN}). */
export const SESSION_PATTERN = VONAGE_SESSION_PATTERN;

const name = (what: string) =>
  v.pipe(
    v.string(`${what} must be a string`),
    v.regex(NAME_PATTERN, `${what} must be 1-128 characters of A-Z a-z 0-9 . _ - starting with a letter or digit`),
  );

const TokenRequestSchema = v.strictObject(
  {
    room: v.optional(name('room')),
    role: v.optional(v.picklist(ROLES, `role must be one of ${ROLES.join(', ')}`)),
    transports: v.optional(
      v.pipe(
        v.array(
          v.pipe(
            v.string('each transport must be a string'),
            v.regex(ASCII_LETTERS, `each transport must be one of ${RED5PRO_TRANSPORTS.join(', ')}`),
            v.toUpperCase(),
            v.picklist(RED5PRO_TRANSPORTS, `each transport must be one of ${RED5PRO_TRANSPORTS.join(', ')}`),
          ),
          'transports must be an array',
        ),
        v.minLength(1, 'transports must not be empty: leave it out to use the granted transports'),
        v.maxLength(RED5PRO_TRANSPORTS.length * 2, 'transports lists too many entries'),
      ),
    ),
    channel: v.optional(name('channel')),
    session: v.optional(
      v.pipe(
        v.string('session must be a string'),
        v.regex(SESSION_PATTERN, 'session must be a Vonage session id (a digit, "_", then URL-safe base64)'),
      ),
    ),
    ttlMinutes: v.optional(
      v.pipe(
        v.number('ttlMinutes must be a number'),
        v.integer('ttlMinutes must be a whole number'),
        v.minValue(1, 'ttlMinutes must be at least 1'),
        v.maxValue(MAX_TTL_MINUTES, `ttlMinutes must be at most ${MAX_TTL_MINUTES}`),
      ),
    ),
  },
  'unknown field',
);

/** A token request after validation (the HTTP contract in the README). */
export interface TokenRequest {
  readonly room?: string;
  readonly role?: Role;
  /** Upper-cased, checked against the Red5 Pro transports. */
  readonly transports?: readonly string[];
  readonly channel?: string;
  readonly session?: string;
  readonly ttlMinutes?: number;
}

/** Validates a parsed JSON body against the contract; unknown fields are refused. */
export function parseTokenRequest(body: unknown): TokenRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HttpProblem('invalid_request', 'The request body must be a JSON object.');
  }
  const quick = quickTokenRequest(body as Record<string, unknown>);
  if (quick !== undefined) return quick;
  const request = parseTokenRequestBySchema(body);
  return { ...emptyRequest(), ...request } as TokenRequest;
}

/** {@link parseTokenRequest} by the schema alone: the reference {@link quickTokenRequest} must agree with. */
export function parseTokenRequestBySchema(body: object): TokenRequest {
  const result = v.safeParse(TokenRequestSchema, body);
  if (!result.success) {
    throw new HttpProblem('invalid_request', describeIssues(result.issues));
  }
  const request = result.output;
  if (request.transports) {
    return { ...request, transports: [...new Set(request.transports)] } as TokenRequest;
  }
  return request as TokenRequest;
}

const TRANSPORT_SET: ReadonlySet<string> = new Set(RED5PRO_TRANSPORTS);

/** A transport name in any ASCII case, upper-cased; `undefined` for anything else. */
export function knownTransport(value: unknown): string | undefined {
  if (typeof value !== 'string' || !ASCII_LETTERS.test(value)) return undefined;
  const upper = value.toUpperCase();
  return TRANSPORT_SET.has(upper) ? upper : undefined;
}

/**
 * The schema's answer for a well-formed request, reached without it: a request that passes
 * every check here is exactly one the schema accepts, with the same output (a property test
 * holds the two together). Anything unusual (an unknown key, a bad value) returns `undefined`,
 * and the schema then decides and words the refusal. The schema's run was ~1.3 µs of every
 * request in the HTTP benchmark; this is a few hundred nanoseconds.
 */
export function quickTokenRequest(body: Record<string, unknown>): TokenRequest | undefined {
  const request = emptyRequest();
  for (const key in body) {
    if (!Object.hasOwn(body, key)) return undefined;
    const value = body[key];
    switch (key) {
      case 'room':
      case 'channel':
        if (typeof value !== 'string' || !NAME_PATTERN.test(value)) return undefined;
        request[key] = value;
        break;
      case 'role':
        if (!isRole(value)) return undefined;
        request.role = value;
        break;
      case 'session':
        if (typeof value !== 'string' || !SESSION_PATTERN.test(value)) return undefined;
        request.session = value;
        break;
      case 'ttlMinutes':
        if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > MAX_TTL_MINUTES) return undefined;
        request.ttlMinutes = value as number;
        break;
      case 'transports': {
        if (!Array.isArray(value) || value.length === 0 || value.length > RED5PRO_TRANSPORTS.length * 2) {
          return undefined;
        }
        const transports: string[] = [];
        for (const entry of value) {
          const transport = knownTransport(entry);
          if (transport === undefined) return undefined;
          if (!transports.includes(transport)) transports.push(transport);
        }
        request.transports = transports;
        break;
      }
      default:
        return undefined;
    }
  }
  return request as TokenRequest;
}

/**
 * A request with every field written out, absent ones as `undefined`: a field is then never
 * read from `Object.prototype`, so a polluted prototype cannot add a room or transports.
 */
function emptyRequest(): { -readonly [K in keyof TokenRequest]: TokenRequest[K] | undefined } {
  return {
    room: undefined,
    role: undefined,
    transports: undefined,
    channel: undefined,
    session: undefined,
    ttlMinutes: undefined,
  };
}

const SAFE_KEY = /^[A-Za-z][A-Za-z0-9_]{0,31}$/;

/**
 * Turns schema issues into a sentence that never repeats a submitted value: each issue's own
 * (fixed) message, or the name of an unknown field when it is a plain identifier.
 */
export function describeIssues(issues: readonly v.BaseIssue<unknown>[], lead = 'Invalid token request: '): string {
  const parts = issues.slice(0, 3).map((issue) => {
    const key = issue.path?.[0]?.key;
    if (issue.type === 'strict_object' && issue.path?.length === 1) {
      return typeof key === 'string' && SAFE_KEY.test(key) ? `unknown field "${key}"` : 'an unknown field';
    }
    return issue.message;
  });
  return `${lead}${parts.join('; ')}.`;
}

/** Request headers as Node gives them (lower-case names) or as the Fetch API does. */
export type HeaderSource = Readonly<Record<string, string | string[] | undefined>> | Headers;

/** The parts of an HTTP request the body reader needs, whatever the framework or runtime. */
export interface BodySource {
  readonly headers: HeaderSource;
  /**
   * The body: a Node request stream, or a Web `ReadableStream` (`request.body`, `null` for a
   * request without one). Read when no middleware has consumed it.
   */
  readonly stream: Readable | ReadableStream<Uint8Array> | null;
  /**
   * What a body parser that ran before roomkey left (`req.body`, `ctx.request.body`), or a
   * function that returns it (or a promise of it), called only when the body was read: a
   * SyntaxError it throws is the client's malformed JSON (400).
   */
  readonly parsedBody?: unknown;
  /**
   * Whether something already read the body (a Web request's `bodyUsed`); a Node stream is
   * inspected instead when this is left out.
   */
  readonly bodyUsed?: boolean;
}

/**
 * Reads the JSON body: `application/json` in UTF-8 only (415), at most `limit` bytes (413),
 * valid JSON (400). Reuses a body an earlier middleware parsed when the stream is consumed.
 */
export function readJsonBody(
  source: BodySource,
  limit = MAX_BODY_BYTES,
  timeoutMs = DEFAULT_BODY_TIMEOUT_MS,
): unknown | Promise<unknown> {
  checkContentType(header(source.headers, 'content-type'));
  const declared = header(source.headers, 'content-length');
  if (declared !== undefined && Number(declared) > limit) throw tooLarge(limit);

  const { stream, parsedBody } = source;
  if (!(source.bodyUsed ?? (isNodeStream(stream) && isConsumed(stream)))) {
    if (stream === null) return parseJson('');
    if (!isNodeStream(stream)) return readWebStream(stream, limit, declared, timeoutMs).then(parseJson);
    if (isComplete(stream, declared)) return parseJson(readBuffered(stream, limit));
    // A handler that runs while Node's parser is still in the packet that carried the headers
    // (Express, Koa, Fastify's tokenRoutes) sees the body one turn later: wait that turn before
    // setting up a reader.
    return Promise.resolve(stream).then((later) =>
      isComplete(later, declared)
        ? parseJson(readBuffered(later, limit))
        : readStream(later, limit, declared, timeoutMs).then(parseJson),
    );
  }
  if (typeof parsedBody === 'function') {
    // Asked for only now, inside the pipeline: what the framework read may not be JSON.
    let value: unknown;
    try {
      value = (parsedBody as () => unknown)();
    } catch (error) {
      return notJson(error);
    }
    const measure = (body: unknown) => readParsedBody(body, limit, declared);
    return isPromise(value) ? value.then(measure, notJson) : measure(value);
  }
  return readParsedBody(parsedBody, limit, declared);
}

const isPromise = (value: unknown): value is Promise<unknown> =>
  typeof (value as { then?: unknown } | null)?.then === 'function';

/** A framework's JSON reader that fails on the body: the client's malformed JSON (400). */
function notJson(error: unknown): never {
  if (error instanceof SyntaxError) throw new HttpProblem('invalid_request', 'The request body is not valid JSON.');
  throw error;
}

/** A body another middleware read: its text re-parsed, or its parsed value measured. */
function readParsedBody(parsedBody: unknown, limit: number, declared: string | undefined): unknown {
  if (typeof parsedBody === 'string' || Buffer.isBuffer(parsedBody)) {
    if (Buffer.byteLength(parsedBody) > limit) throw tooLarge(limit);
    return parseJson(parsedBody.toString());
  }
  if (parsedBody === undefined) {
    throw new Error(
      'the request body was read before roomkey and nothing passed it on: mount roomkey before what reads it, ' +
        'or give roomkey the parsed body (a JSON body parser, or the fetch adapter parsedBody option)',
    );
  }
  if (declared === undefined && serializedLength(parsedBody, limit) > limit) throw tooLarge(limit);
  return parsedBody;
}

/**
 * The size of a body another middleware parsed, sent without a Content-Length: measured as
 * JSON again. A value nested deeper than JSON.stringify's stack allows (a few thousand levels,
 * which fit in 16 KiB) is no token request either: 400, not a stack overflow's 500.
 */
function serializedLength(parsedBody: unknown, limit: number): number {
  let text: string | undefined;
  try {
    text = JSON.stringify(parsedBody);
  } catch (error) {
    if (error instanceof RangeError) {
      // V8 says "Invalid string length" for a string too long to build, else the stack overflowed.
      if (/string length/i.test(error.message)) throw tooLarge(limit);
      throw new HttpProblem('invalid_request', 'The JSON body is nested too deeply.');
    }
    throw error;
  }
  return Buffer.byteLength(text ?? '');
}

function header(headers: HeaderSource, name: string): string | undefined {
  if (isWebHeaders(headers)) return headers.get(name) ?? undefined;
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

const isWebHeaders = (headers: HeaderSource): headers is Headers => typeof headers.get === 'function';

function isNodeStream(stream: BodySource['stream']): stream is Readable {
  return stream !== null && typeof (stream as Readable).pipe === 'function';
}

function checkContentType(value: string | undefined): void {
  const expected = 'Send the body as application/json (UTF-8).';
  if (value === undefined) throw new HttpProblem('unsupported_media_type', `No Content-Type. ${expected}`);
  let type: string;
  let charset: string | undefined;
  try {
    const parsed = parseContentType(value);
    type = parsed.type;
    charset = parsed.parameters.charset;
  } catch {
    throw new HttpProblem('unsupported_media_type', `The Content-Type is not a valid media type. ${expected}`);
  }
  if (type !== 'application/json') {
    throw new HttpProblem('unsupported_media_type', `Only application/json is accepted. ${expected}`);
  }
  if (charset !== undefined && charset.toLowerCase() !== 'utf-8') {
    throw new HttpProblem('unsupported_media_type', `Only the UTF-8 charset is accepted. ${expected}`);
  }
}

function isConsumed(stream: Readable): boolean {
  return stream.readableEnded || stream.readableDidRead || (stream as { _body?: boolean })._body === true;
}

function tooLarge(limit: number): HttpProblem {
  return new HttpProblem('payload_too_large', `The request body is larger than ${limit} bytes.`);
}

/**
 * Node's HTTP parser has put the whole body into the stream's buffer, and nobody has read it:
 * the message is complete, or the stream holds as many bytes as the declared Content-Length
 * (the parser never passes on more, and a turn after the headers the body of a small request
 * is there while `complete` is set only in a later callback). Without that second case every
 * request on Express and Fastify's tokenRoutes paid for a reader, its listeners and its timer.
 */
const isComplete = (stream: Readable, declared: string | undefined) =>
  !stream.readableDidRead &&
  ((stream as { complete?: unknown }).complete === true ||
    (declared !== undefined &&
      stream.readableEncoding === null &&
      stream.readableLength > 0 &&
      stream.readableLength === Number(declared)));

/**
 * The body of a Node request that has arrived whole (see `isComplete`): taken in one
 * synchronous read, with no timer and no listeners. The stream then ends as usual: one whose
 * message is not marked complete yet is left flowing, as a reader would, so that it still ends.
 */
function readBuffered(stream: Readable, limit: number): string {
  const data = stream.read() as Buffer | string | null;
  if ((stream as { complete?: unknown }).complete !== true) stream.resume();
  if (data === null) return '';
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  if (bytes.length > limit) throw tooLarge(limit);
  return decodeUtf8(bytes);
}

/** UTF-8 without a byte order mark, invalid sequences replaced, as body parsers decode. */
function decodeUtf8(bytes: Buffer): string {
  const hasBom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  return bytes.toString('utf8', hasBom ? 3 : 0);
}

/**
 * A Node stream's body: at most `limit` bytes (413; the stream is paused and let go), exactly as
 * many as a declared Content-Length says (400 otherwise), within `timeoutMs` (408 with
 * `Connection: close`, which ends the stream), decoded as UTF-8 without a byte order mark
 * (Node's decoder replaces invalid sequences, as body parsers do). Written on the stream's own
 * events rather than raw-body: one timer, four listeners and no promise race per request,
 * which the HTTP benchmark measured as the largest cost of the request path (bench/README.md).
 */
function readStream(stream: Readable, limit: number, length: string | undefined, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (error: HttpProblem | undefined) => {
      clearTimeout(timer);
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.off('close', onClose);
      if (error !== undefined) {
        stream.pause();
        reject(error);
        return;
      }
      resolve(decodeUtf8(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size)));
    };
    const onData = (chunk: Buffer | string) => {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      size += buffer.length;
      if (size > limit) finish(tooLarge(limit));
      else chunks.push(buffer);
    };
    const onEnd = () => {
      if (length !== undefined && Number(length) !== size) {
        finish(new HttpProblem('invalid_request', 'The request body does not match its Content-Length.'));
      } else {
        finish(undefined);
      }
    };
    const onError = () => finish(new HttpProblem('invalid_request', 'The request body could not be read.'));
    // A client that goes away mid-body closes the stream before it ends.
    const onClose = () => finish(new HttpProblem('invalid_request', 'The client aborted the request.'));
    const timer = setTimeout(
      () =>
        finish(
          new HttpProblem('request_timeout', `The request body did not arrive within ${timeoutMs} ms.`, {
            connection: 'close',
          }),
        ),
      timeoutMs,
    );
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
    stream.on('close', onClose);
  });
}

/**
 * A Web stream's body, under the same rules as a Node one: at most `limit` bytes (413, and the
 * rest is not read), as many as a declared Content-Length says (400 otherwise), within
 * `timeoutMs` (408), decoded as UTF-8 without a byte order mark.
 */
async function readWebStream(
  stream: ReadableStream<Uint8Array>,
  limit: number,
  length: string | undefined,
  timeoutMs: number,
): Promise<string> {
  const reader = stream.getReader();
  let timedOut = false;
  // Cancelling ends the read in progress (it resolves as done), and the answer is then 408.
  const timer = setTimeout(() => {
    timedOut = true;
    reader.cancel().catch(() => undefined);
  }, timeoutMs);
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        reader.cancel().catch(() => undefined);
        throw tooLarge(limit);
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof HttpProblem) throw error;
    if (!timedOut) throw new HttpProblem('invalid_request', 'The request body could not be read.');
  } finally {
    clearTimeout(timer);
  }
  if (timedOut) {
    throw new HttpProblem('request_timeout', `The request body did not arrive within ${timeoutMs} ms.`, {
      connection: 'close',
    });
  }
  if (length !== undefined && Number(length) !== size) {
    throw new HttpProblem('invalid_request', 'The request body does not match its Content-Length.');
  }
  return decodeUtf8(Buffer.concat(chunks, size));
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpProblem('invalid_request', 'The request body is not valid JSON.');
  }
}
