import { readFileSync } from 'node:fs';
import { UsageError } from './output.js';

/**
 * A secret from a file (`--secret-file`) or else from an environment variable; never from a flag
 * value, which would land in shell history. A file's trailing newline is not part of the secret.
 */
export function readSecret(file: string | undefined, variable: string, env = process.env): string | undefined {
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new UsageError(`cannot read --secret-file ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    const secret = text.replace(/\r?\n$/, '');
    if (secret.length === 0) throw new UsageError(`--secret-file ${file} is empty`);
    return secret;
  }
  const value = env[variable];
  return value === undefined || value === '' ? undefined : value;
}

/** Reads all of standard input as text (a token or a key piped in). */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
