/**
 * Reading a platform's configuration from environment variables (serve, the CLI): each
 * mistake is an `Error` whose message names the variable to fix; a secret never appears in one.
 */

export type Environment = Readonly<Record<string, string | undefined>>;

/** A variable's value; an empty one counts as unset. */
export const envValue = (env: Environment, name: string): string | undefined =>
  env[name] === '' ? undefined : env[name];

/** Two variables that only mean something together. */
export function requirePair(first: string, a: string | undefined, second: string, b: string | undefined): void {
  if ((a === undefined) !== (b === undefined)) throw new Error(`set ${first} and ${second} together (or neither)`);
}

/** A whole number from `min` to `max`, or `fallback` when the variable is unset. */
export function wholeNumberFrom(env: Environment, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const number = Number(raw);
  if (!/^\d+$/.test(raw) || number < min || number > max) {
    throw new Error(`${name} must be a whole number from ${min} to ${max}`);
  }
  return number;
}

/**
 * Makes a signer now, so that a weak secret or key stops the start. Its `TypeError` names an
 * option; the message names the environment variable instead (`fallback` when none matches).
 */
export function createdFromEnv<T>(create: () => T, variables: Readonly<Record<string, string>>, fallback: string): T {
  try {
    return create();
  } catch (error) {
    const option = /^\w+/.exec((error as Error).message)?.[0] ?? '';
    throw new Error(`${Object.hasOwn(variables, option) ? variables[option] : fallback}: ${(error as Error).message}`);
  }
}
