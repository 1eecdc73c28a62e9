import { generateSecret, MIN_SECRET_BYTES } from '@roomkey/core';
import { Command, InvalidArgumentError } from 'commander';
import { writeJson } from '../output.js';
import { readStdin } from '../secrets.js';
import { createServiceKey, hashServiceKey, SERVICE_KEY_PATTERN } from '../service/service-keys.js';
import { type CommandContext, example } from './context.js';

function byteCount(value: string): number {
  const bytes = Number(value);
  if (!/^\d+$/.test(value) || bytes < MIN_SECRET_BYTES || bytes > 1024) {
    throw new InvalidArgumentError(`give a whole number of bytes from ${MIN_SECRET_BYTES} to 1024`);
  }
  return bytes;
}

/** `roomkey secret`: a strong Red5 Pro JWT secret (seed 003's recipe: 32 random bytes, base64). */
export function secretCommand(context: CommandContext): Command {
  return new Command('secret')
    .description("print a new random secret for Red5 Pro's JWT authentication (and RED5PRO_JWT_SECRET)")
    .option('--bytes <n>', `random bytes, ${MIN_SECRET_BYTES} to 1024`, byteCount, MIN_SECRET_BYTES)
    .option('--json', 'print { "secret": "…" }')
    .addHelpText(
      'after',
      example(
        'export RED5PRO_JWT_SECRET="$(roomkey secret)"',
        'then set the same value as the JWT secret in the Red5 Pro server configuration',
      ),
    )
    .action((options: { bytes: number; json?: true }) => {
      const secret = generateSecret(options.bytes);
      if (options.json) writeJson(context.stdout, { secret });
      else context.stdout.write(`${secret}\n`);
    });
}

/** `roomkey service-key`: a key for a backend calling `roomkey serve`, and the hash the service stores. */
export function serviceKeyCommand(context: CommandContext): Command {
  return new Command('service-key')
    .description('make a service key for a backend that calls `roomkey serve`, and the hash to configure')
    .option('--name <name>', 'the name the configuration gives this key (appears in logs)', 'backend')
    .option('--hash', 'read an existing key from standard input and print only its hash')
    .option('--json', 'print { "key": "…", "sha256": "…" }')
    .addHelpText(
      'after',
      example(
        'roomkey service-key --name billing --json',
        'give "key" to the backend (as ROOMKEY_SERVICE_KEY); put "sha256" in the service configuration',
      ) +
        example('printf %s "$ROOMKEY_SERVICE_KEY" | roomkey service-key --hash', 'the hash of a key you already have'),
    )
    .action(async (options: { name: string; hash?: true; json?: true }) => {
      const { stdout, style } = context;
      if (options.hash) {
        const key = (await readStdin()).trim();
        if (!SERVICE_KEY_PATTERN.test(key)) {
          context.fail('standard input is not a roomkey service key (rk_ and 43 characters of base64url)');
        }
        const sha256 = hashServiceKey(key);
        if (options.json) writeJson(stdout, { sha256 });
        else stdout.write(`${sha256}\n`);
        return;
      }
      const key = createServiceKey();
      const sha256 = hashServiceKey(key);
      if (options.json) {
        writeJson(stdout, { name: options.name, key, sha256 });
        return;
      }
      const entry = {
        name: options.name,
        sha256,
        role: 'subscriber',
        users: ['lobby-screen-*'],
        rooms: ['lobby'],
        platforms: ['red5pro'],
        transports: ['WHEP'],
      };
      stdout.write(
        `${style.bold('Service key')} (shown once: give it to the backend, keep it out of the configuration file):\n` +
          `  ${key}\n\n` +
          `${style.bold('Configuration entry')} (add to "identity.service.keys"; set role, users, rooms, platforms and transports):\n` +
          `  ${JSON.stringify(entry)}\n`,
      );
    });
}
