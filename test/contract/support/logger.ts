import type { Logger } from '@roomkey/core';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

export interface CapturedCall {
  readonly level: LogLevel;
  /** Every argument as JSON (errors expanded to name, message, stack, cause and own fields). */
  readonly args: readonly string[];
}

export interface CapturedLogger {
  /** Pino-compatible: the levels roomkey uses plus the rest, and `child()`. */
  readonly logger: Logger & Record<LogLevel, (...args: unknown[]) => void> & { child(): CapturedLogger['logger'] };
  readonly calls: readonly CapturedCall[];
  /** Every recorded argument, joined: what a log file would hold. */
  text(): string;
  levels(): LogLevel[];
}

/** JSON.stringify that keeps what a real log serialiser keeps: error stacks and causes, no cycles. */
export function serialise(value: unknown): string {
  const seen = new WeakSet<object>();
  const replace = (_key: string, current: unknown): unknown => {
    if (typeof current === 'bigint') return current.toString();
    if (typeof current === 'function') return `[Function ${current.name}]`;
    if (current instanceof Error) {
      const own: Record<string, unknown> = {};
      for (const key of Object.getOwnPropertyNames(current))
        own[key] = (current as unknown as Record<string, unknown>)[key];
      return { ...own, name: current.name, message: current.message, stack: current.stack, cause: current.cause };
    }
    if (typeof current === 'object' && current !== null) {
      if (seen.has(current)) return '[Circular]';
      seen.add(current);
    }
    return current;
  };
  return JSON.stringify(value, replace) ?? String(value);
}

/** A logger that records every call, for asserting what roomkey writes (and never writes). */
export function captureLogger(): CapturedLogger {
  const calls: CapturedCall[] = [];
  const record =
    (level: LogLevel) =>
    (...args: unknown[]): void => {
      calls.push({ level, args: args.map(serialise) });
    };
  const logger = {
    trace: record('trace'),
    debug: record('debug'),
    info: record('info'),
    warn: record('warn'),
    error: record('error'),
    fatal: record('fatal'),
    child: () => logger,
  };
  return {
    logger,
    calls,
    text: () => calls.map((call) => `${call.level} ${call.args.join(' ')}`).join('\n'),
    levels: () => calls.map((call) => call.level),
  };
}
