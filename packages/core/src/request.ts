import type { Readable } from 'node:stream';
import { parse as parseContentType } from 'content-type';
import * as v from 'valibot';
import { emptyObjectFactory, fieldSchema } from './fields.js';
import { describeIssues } from './issues.js';
import { MAX_TTL_MINUTES, type RequestField } from './platform.js';
import { BUILT_IN_PLATFORMS } from './platforms/index.js';
import { HttpProblem } from './problem.js';
import { isRole, ROLES, type Role } from './roles.js';

export { describeIssues } from './issues.js';
export { MAX_TTL_MINUTES } from './platform.js';

/** The largest request body roomkey reads (the HTTP contract: at most 16 KiB). */
export const MAX_BODY_BYTES = 16 * 1024;

/** How long reading a request body may take before 408, in milliseconds. */
export const DEFAULT_BODY_TIMEOUT_MS = 10_000;

/**
 * A token request after validation (the HTTP contract in the README): `role` and `ttlMinutes`,
 * and the fields the platforms read (the built-in ones below; an app's platform may add its own).
 */
export interface TokenRequest {
  /** Red5 Pro, Red5 Cloud conference, LiveKit. */
  readonly room?: string;
  readonly role?: Role;
  /** Red5 Pro: upper-cased, checked against its transports. */
  readonly transports?: readonly string[];
  /** Red5 Cloud chat. */
  readonly channel?: string;
  /** Vonage Video, OpenTok. */
  readonly session?: string;
  readonly ttlMinutes?: number;
  /** Fields of an app's own platforms, checked by their `requestFields`. */
  readonly [field: string]: unknown;
}

/** The fields a request may carry and how each is checked: the core's two and the platforms'. */
export interface RequestShape {
  /** The platforms' fields, by name, in the registry's order. */
  readonly fields: ReadonlyMap<string, RequestField>;
  /** The valibot schema that words a refusal. */
  readonly schema: v.GenericSchema;
  /** Every field as `undefined`, copied into each request (see {@link parseTokenRequest}). */
  readonly template: Readonly<Record<string, undefined>>;
  /** A new object with every field as `undefined` (the template, built as a literal). */
  readonly empty: () => Record<string, unknown>;
  /** Each field's `check` by name, in an object without a prototype: the quick path's lookup. */
  readonly checks: Readonly<Record<string, RequestField['check'] | undefined>>;
  /** The fields listed in a grant field, and those with a rule of their own, for the grant check. */
  readonly targets: readonly (readonly [name: string, grantList: string])[];
  readonly ruled: readonly (readonly [name: string, checkGrant: NonNullable<RequestField['checkGrant']>])[];
}

const CORE_FIELDS = ['role', 'ttlMinutes'];

/**
 * Gathers the request fields of platform definitions: a field several platforms read must be
 * the same object (the shared `room`); two different ones of one name are a `TypeError`.
 */
export function gatherFields<Field>(
  sources: Iterable<Readonly<Record<string, Field>> | undefined>,
  what: string,
  reserved: readonly string[],
): Map<string, Field> {
  const fields = new Map<string, Field>();
  for (const source of sources) {
    if (source === undefined) continue;
    for (const [name, field] of Object.entries(source)) {
      if (reserved.includes(name))
        throw new TypeError(`a platform declares the ${what} field "${name}", which roomkey owns`);
      const earlier = fields.get(name);
      if (earlier !== undefined && earlier !== field) {
        throw new TypeError(`two platforms declare the ${what} field "${name}" differently: share one field object`);
      }
      fields.set(name, field);
    }
  }
  return fields;
}

/** The shape of requests for these platform fields (checked once, when an issuer is made). */
export function requestShape(fields: ReadonlyMap<string, RequestField>): RequestShape {
  const entries: Record<string, v.GenericSchema> = {};
  const template: Record<string, undefined> = { role: undefined, ttlMinutes: undefined };
  for (const [name, field] of fields) {
    if (typeof field?.check !== 'function' || typeof field.message !== 'string') {
      throw new TypeError(`request field "${name}" must be an object { check(value), message }`);
    }
    entries[name] = v.optional(fieldSchema(field));
    template[name] = undefined;
  }
  entries.role = v.optional(v.picklist(ROLES, `role must be one of ${ROLES.join(', ')}`));
  entries.ttlMinutes = v.optional(
    v.pipe(
      v.number('ttlMinutes must be a number'),
      v.integer('ttlMinutes must be a whole number'),
      v.minValue(1, 'ttlMinutes must be at least 1'),
      v.maxValue(MAX_TTL_MINUTES, `ttlMinutes must be at most ${MAX_TTL_MINUTES}`),
    ),
  );
  const checks: Record<string, RequestField['check']> = Object.create(null);
  for (const [name, field] of fields) checks[name] = field.check;
  const targets = [...fields].flatMap(([name, field]) =>
    field.grantList === undefined ? [] : [[name, field.grantList] as const],
  );
  const ruled = [...fields].flatMap(([name, field]) =>
    field.checkGrant === undefined ? [] : [[name, field.checkGrant.bind(field)] as const],
  );
  return {
    fields,
    schema: v.strictObject(entries, 'unknown field'),
    template,
    empty: emptyObjectFactory(Object.keys(template)),
    checks,
    targets,
    ruled,
  };
}

/** The request fields of the built-in platforms. */
export const BUILT_IN_REQUEST_FIELDS: ReadonlyMap<string, RequestField> = gatherFields(
  BUILT_IN_PLATFORMS.map((platform) => platform.requestFields),
  'request',
  CORE_FIELDS,
);

/** The shape of requests to an issuer whose platforms add no fields of their own. */
export const BUILT_IN_REQUEST_SHAPE: RequestShape = requestShape(BUILT_IN_REQUEST_FIELDS);

/** Validates a parsed JSON body against the contract; unknown fields are refused. */
export function parseTokenRequest(body: unknown, shape: RequestShape = BUILT_IN_REQUEST_SHAPE): TokenRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HttpProblem('invalid_request', 'The request body must be a JSON object.');
  }
  const quick = quickTokenRequest(body as Record<string, unknown>, shape);
  if (quick !== undefined) return quick;
  const request = parseTokenRequestBySchema(body, shape);
  return { ...shape.template, ...request } as TokenRequest;
}

/** {@link parseTokenRequest} by the schema alone: the reference {@link quickTokenRequest} must agree with. */
export function parseTokenRequestBySchema(body: object, shape: RequestShape = BUILT_IN_REQUEST_SHAPE): TokenRequest {
  const result = v.safeParse(shape.schema, body);
  if (!result.success) {
    throw new HttpProblem('invalid_request', describeIssues(result.issues));
  }
  return result.output as TokenRequest;
}

/**
 * The schema's answer for a well-formed request, reached without it: a request that passes
 * every check here is exactly one the schema accepts, with the same output (a property test
 * holds the two together). Anything unusual (an unknown key, a bad value) returns `undefined`,
 * and the schema then decides and words the refusal. The schema's run was ~1.3 µs of every
 * request in the HTTP benchmark; this is a few hundred nanoseconds.
 *
 * Every field is written out, absent ones as `undefined`: a field is then never read from
 * `Object.prototype`, so a polluted prototype cannot add a room or transports.
 */
export function quickTokenRequest(
  body: Record<string, unknown>,
  shape: RequestShape = BUILT_IN_REQUEST_SHAPE,
): TokenRequest | undefined {
  const request = shape.empty();
  const { checks } = shape;
  for (const key in body) {
    if (!Object.hasOwn(body, key)) return undefined;
    const value = body[key];
    if (key === 'role') {
      if (!isRole(value)) return undefined;
      request.role = value;
    } else if (key === 'ttlMinutes') {
      if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > MAX_TTL_MINUTES) return undefined;
      request.ttlMinutes = value;
    } else {
      const checked = checks[key]?.(value);
      if (checked === undefined) return undefined;
      request[key] = checked;
    }
  }
  return request as TokenRequest;
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
