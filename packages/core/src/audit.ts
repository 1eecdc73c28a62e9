import type { ProblemCode } from './problem.js';
import type { Role } from './roles.js';

/**
 * The subset of a pino (or bunyan, or console-like) logger roomkey writes to: a merge object
 * first, then a message.
 */
export interface Logger {
  info(object: object, message?: string): void;
  warn(object: object, message?: string): void;
  error(object: object, message?: string): void;
}

/** Emitted once a request's tokens are signed, before the response is sent. */
export interface IssuedEvent {
  readonly type: 'issued';
  readonly requestId: string;
  readonly time: string;
  readonly ip: string | undefined;
  readonly userId: string;
  readonly role: Role;
  readonly rooms: readonly string[];
  readonly channel: string | undefined;
  readonly session: string | undefined;
  /** The transports the Red5 Pro token allows: a list, `'any'`, or `[]` when none were granted. */
  readonly transports: readonly string[] | 'any';
  /** Token name → expiry (ISO 8601). Never the token itself. */
  readonly expiresAt: Readonly<Record<string, string>>;
}

/** Emitted for every refused request (4xx), and when a platform service failed (502). */
export interface DeniedEvent {
  readonly type: 'denied';
  readonly requestId: string;
  readonly time: string;
  readonly ip: string | undefined;
  readonly status: number;
  readonly code: ProblemCode;
  /** Why, in words safe to store: never a token, a secret or a header value. */
  readonly reason: string;
  /** Set once the caller has been identified. */
  readonly userId: string | undefined;
}

export type AuditEvent = IssuedEvent | DeniedEvent;

export function checkLogger(logger: unknown): Logger | undefined {
  if (logger === undefined) return undefined;
  const candidate = logger as Partial<Record<keyof Logger, unknown>> | null;
  if (
    candidate === null ||
    typeof candidate !== 'object' ||
    (['info', 'warn', 'error'] as const).some((level) => typeof candidate[level] !== 'function')
  ) {
    throw new TypeError('logger must have info, warn and error methods (a pino logger, for instance)');
  }
  return logger as Logger;
}

export type LogError = (object: { readonly [field: string]: unknown }, message: string) => void;

/**
 * Where failures go when the app gave no logger: stderr, as Express and Koa report an
 * unexpected error by default, so that a 500 never goes unseen. The message is roomkey's own
 * (never a token, secret or header value), then the stack of the error the app's callback
 * threw, as the app wrote it.
 */
export const logToStderr: LogError = ({ err, cause }, message) => {
  const stack =
    err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : err === undefined ? '' : String(err);
  const lines = [
    message,
    ...(typeof cause === 'string' ? [`  cause: ${cause}`] : []),
    ...(stack ? [indent(stack)] : []),
  ];
  process.stderr.write(`${lines.join('\n')}\n`);
};

const indent = (text: string) => text.replace(/^/gm, '  ');
