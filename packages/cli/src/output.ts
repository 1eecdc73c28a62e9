import type { Writable } from 'node:stream';

/** Exit codes every command keeps: 0 done/accepted, 1 refused/failed, 2 usage or configuration mistake. */
export const EXIT = { ok: 0, refused: 1, usage: 2 } as const;

/** A mistake in how the command was called or configured: exit 2, with a message that says what to fix. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface Style {
  readonly bold: (text: string) => string;
  readonly dim: (text: string) => string;
  readonly red: (text: string) => string;
  readonly green: (text: string) => string;
  readonly yellow: (text: string) => string;
  readonly cyan: (text: string) => string;
}

const plain = (text: string) => text;
const PLAIN: Style = { bold: plain, dim: plain, red: plain, green: plain, yellow: plain, cyan: plain };

const sgr = (open: number, close: number) => (text: string) => `\u001b[${open}m${text}\u001b[${close}m`;
const COLOURED: Style = {
  bold: sgr(1, 22),
  dim: sgr(2, 22),
  red: sgr(31, 39),
  green: sgr(32, 39),
  yellow: sgr(33, 39),
  cyan: sgr(36, 39),
};

/**
 * Colours only on a terminal that has them: Node's `hasColors()` honours NO_COLOR,
 * NODE_DISABLE_COLORS, FORCE_COLOR and TERM=dumb; `--no-color` turns them off too.
 */
export function styleFor(stream: Writable, enabled = true): Style {
  const tty = stream as Writable & { isTTY?: boolean; hasColors?: () => boolean };
  const noColor = process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '';
  return enabled && !noColor && tty.isTTY === true && tty.hasColors?.() === true ? COLOURED : PLAIN;
}

/** Writes a value as one JSON document, for scripts. */
export function writeJson(stream: Writable, value: unknown): void {
  stream.write(`${JSON.stringify(value, null, 2)}\n`);
}

// Times as inspect and sign print them: the same words as the platforms' explanations.
export { localTime, relativeTime } from '@roomkey/core';
