import type { Writable } from 'node:stream';
import { type Style, UsageError } from '../output.js';

/** What every command writes to and reads from; `bin.ts` passes the process's own. */
export interface CommandContext {
  readonly stdout: Writable;
  readonly stderr: Writable;
  /** Colours for stdout, or none (not a terminal, NO_COLOR, --no-color). */
  readonly style: Style;
  /** Colours for stderr. */
  readonly errorStyle: Style;
  readonly env: NodeJS.ProcessEnv;
  /** Stops with exit code 2 and this message (what to fix). */
  fail(message: string): never;
}

export function failWith(message: string): never {
  throw new UsageError(message);
}

/** The "Example:" block at the end of a command's help. */
export function example(command: string, note?: string): string {
  return `\nExample:\n  $ ${command}\n${note === undefined ? '' : `  ${note}\n`}`;
}
