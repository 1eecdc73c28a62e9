import { type ProblemCode, problemResponse, type TokenResponse } from './problem.js';
import { protocolNamed, type TokenProtocol } from './protocols.js';

/** What the body parsers of Express (body-parser) and Koa (co-body) put on the errors they throw. */
interface BodyParserError {
  readonly type?: unknown;
  readonly status?: unknown;
  readonly statusCode?: unknown;
}

const BODY_ERROR_TYPES: Readonly<Record<string, readonly [ProblemCode, string]>> = {
  'entity.parse.failed': ['invalid_request', 'The request body is not valid JSON.'],
  'entity.verify.failed': ['invalid_request', 'The request body could not be read.'],
  'entity.too.large': ['payload_too_large', 'The request body is too large.'],
  'charset.unsupported': ['unsupported_media_type', 'Only the UTF-8 charset is accepted. Send application/json.'],
  'encoding.unsupported': ['unsupported_media_type', 'The Content-Encoding is not supported. Send plain JSON.'],
  'request.aborted': ['invalid_request', 'The client aborted the request.'],
  'request.size.invalid': ['invalid_request', 'The request body does not match its Content-Length.'],
};

// Fastify's content-type parsing: a `code`, not the `type` of Express's and Koa's parsers.
const FASTIFY_BODY_ERRORS: Readonly<Record<string, readonly [ProblemCode, string]>> = {
  FST_ERR_CTP_INVALID_JSON_BODY: ['invalid_request', 'The request body is not valid JSON.'],
  FST_ERR_CTP_EMPTY_JSON_BODY: ['invalid_request', 'The request body is not valid JSON.'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: ['invalid_request', 'The request body does not match its Content-Length.'],
  FST_ERR_CTP_BODY_TOO_LARGE: ['payload_too_large', 'The request body is too large.'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: ['unsupported_media_type', 'Send the body as application/json (UTF-8).'],
};

/**
 * The problem response for an error a framework's body parser threw before roomkey ran
 * (`express.json()` mounted for the whole app, `@koa/bodyparser`, Fastify's content-type
 * parsing): malformed JSON is the contract's `400 invalid_request`, not the framework's page. `undefined` for any other
 * error, which the app's own error handling keeps. The body the parser read is never repeated.
 * `protocol` is the route's (`red5-conference` adds the `success: false` the Red5 SDK reads);
 * a name that is none throws a `TypeError`.
 *
 * @example
 * const problem = problemForBodyError(error, 'red5-conference');
 */
export function problemForBodyError(error: unknown, protocol: TokenProtocol = 'roomkey'): TokenResponse | undefined {
  const { problemMembers } = protocolNamed(protocol);
  if (typeof error !== 'object' || error === null) return undefined;
  const { type, status, statusCode } = error as BodyParserError;
  const { code: name } = error as { code?: unknown };
  const known =
    typeof type === 'string'
      ? BODY_ERROR_TYPES[type]
      : typeof name === 'string'
        ? FASTIFY_BODY_ERRORS[name]
        : undefined;
  if (known !== undefined) return problemResponse(known[0], known[1], {}, problemMembers);
  const code = status ?? statusCode;
  // co-body throws a SyntaxError with status 400 (no type) for JSON it cannot parse.
  if (error instanceof SyntaxError && code === 400) {
    return problemResponse('invalid_request', 'The request body is not valid JSON.', {}, problemMembers);
  }
  return undefined;
}

/**
 * {@link problemForBodyError} for the routes of one protocol, which is checked now: an adapter's
 * `tokenErrorHandler(protocol)` makes one at start-up, so a name that is no protocol throws there.
 *
 * @example
 * const problemFor = bodyErrorProblems('red5-conference');
 * const problem = problemFor(error); // undefined: not a body parser's error
 */
export function bodyErrorProblems(protocol: TokenProtocol = 'roomkey'): (error: unknown) => TokenResponse | undefined {
  protocolNamed(protocol);
  return (error) => problemForBodyError(error, protocol);
}
