import {
  createLiveKitSigner,
  createRed5ProSigner,
  isRoomkeyError,
  LIVEKIT_MAX_TTL_SECONDS,
  RED5PRO_ROLE_MAP,
  RED5PRO_TRANSPORTS,
  type Red5ProSignInput,
  ROLES,
  type Role,
} from '@roomkey/core';
import { Command, InvalidArgumentError, Option } from 'commander';
import { localTime, relativeTime, writeJson } from '../output.js';
import { readSecret } from '../secrets.js';
import { type CommandContext, example } from './context.js';
import { signTurnCommand } from './sign-turn.js';

/** `90s`, `10m`, `2h`: a lifetime in seconds. */
export function parseDuration(value: string): number {
  const seconds = durationSeconds(value);
  if (seconds < 60) throw new InvalidArgumentError('Red5 Pro tokens live at least 60s');
  return seconds;
}

function durationSeconds(value: string): number {
  const match = /^(\d{1,7})(s|m|h)$/.exec(value);
  if (match === null) throw new InvalidArgumentError('give a number and a unit: 90s, 10m or 2h');
  return Number(match[1]) * { s: 1, m: 60, h: 3600 }[match[2] as 's' | 'm' | 'h'];
}

/** A LiveKit token's lifetime: 1 second to 6 hours. */
function liveKitDuration(value: string): number {
  const seconds = durationSeconds(value);
  if (seconds < 1 || seconds > LIVEKIT_MAX_TTL_SECONDS) throw new InvalidArgumentError('give 1s to 6h');
  return seconds;
}

export function parseWholeNumber(min: number, max: number) {
  return (value: string): number => {
    const number = Number(value);
    if (!/^\d+$/.test(value) || number < min || number > max) {
      throw new InvalidArgumentError(`give a whole number from ${min} to ${max}`);
    }
    return number;
  };
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

interface SignOptions {
  subject: string;
  role: Role;
  room?: string[];
  anyRoom?: true;
  transports?: string;
  anyTransport?: true;
  ttl?: number;
  ttlMinutes?: number;
  issuer?: string;
  name?: string;
  secretFile?: string;
  json?: true;
}

/** `roomkey sign red5pro …`: one token for testing with OBS, ffmpeg or a WHIP client. */
export function signCommand(context: CommandContext): Command {
  const sign = new Command('sign').description('sign a token for testing (with the secret from the environment)');
  sign.addCommand(
    new Command('red5pro')
      .description('sign a Red5 Pro token with RED5PRO_JWT_SECRET (or --secret-file)')
      .requiredOption('--subject <id>', 'the user id (sub)')
      .addOption(new Option('--role <role>', 'what the bearer may do').choices(ROLES).makeOptionMandatory())
      .option('--room <name>', 'a room the token opens (repeat for several)', collect)
      .option('--any-room', 'leave red5-room out: the token opens every room')
      .option('--transports <list>', `comma-separated, from ${RED5PRO_TRANSPORTS.join(', ')}`)
      .option('--any-transport', 'leave red5-transport out: every protocol')
      .option('--ttl <duration>', "lifetime such as 10m (default and at most the server's limit)", parseDuration)
      .option(
        '--ttl-minutes <n>',
        "the server's jwtTtlMinutes (default RED5PRO_JWT_TTL_MINUTES or 60)",
        parseWholeNumber(1, 525_600),
      )
      .option('--issuer <iss>', 'iss, when the server has expectedIssuer (default RED5PRO_JWT_ISSUER)')
      .option('--name <text>', 'a display name written into the token (readable by anyone holding it)')
      .option('--secret-file <path>', 'read the secret from this file instead of RED5PRO_JWT_SECRET')
      .option('--json', 'print { "token", "expiresAt", "claims" }')
      .addHelpText(
        'after',
        example(
          'roomkey sign red5pro --subject obs-studio --role publisher-only --room stage --transports RTMP --ttl 30m',
          'prints the token alone on standard output (for OBS: the connection parameter token)',
        ),
      )
      .action((options: SignOptions) => signRed5Pro(context, options)),
  );
  sign.addCommand(
    new Command('livekit')
      .description('sign a LiveKit access token with LIVEKIT_API_KEY and LIVEKIT_API_SECRET (or --secret-file)')
      .requiredOption('--subject <id>', 'the participant identity (sub)')
      .requiredOption('--room <name>', 'the room the token joins')
      .addOption(new Option('--role <role>', 'what the participant may do').choices(ROLES).makeOptionMandatory())
      .option('--ttl <duration>', 'lifetime such as 10m (default 10m, at most 6h)', liveKitDuration)
      .option('--secret-file <path>', 'read the API secret from this file instead of LIVEKIT_API_SECRET')
      .option('--json', 'print { "token", "expiresAt", "claims" }')
      .addHelpText(
        'after',
        example(
          'roomkey sign livekit --subject obs-studio --room stage --role publisher-only --ttl 30m',
          'prints the token alone on standard output (for a LiveKit client or the lk command)',
        ),
      )
      .action((options: LiveKitSignOptions) => signLiveKit(context, options)),
  );
  sign.addCommand(signTurnCommand(context));
  return sign;
}

interface LiveKitSignOptions {
  subject: string;
  room: string;
  role: Role;
  ttl?: number;
  secretFile?: string;
  json?: true;
}

async function signLiveKit(context: CommandContext, options: LiveKitSignOptions): Promise<void> {
  const apiSecret = readSecret(options.secretFile, 'LIVEKIT_API_SECRET', context.env);
  const apiKey = context.env.LIVEKIT_API_KEY || undefined;
  if (apiSecret === undefined || apiKey === undefined) {
    context.fail(
      'set LIVEKIT_API_KEY and LIVEKIT_API_SECRET (or pass --secret-file): a secret is never given as a flag value',
    );
  }
  let signed: ReturnType<ReturnType<typeof createLiveKitSigner>['sign']>;
  try {
    signed = createLiveKitSigner({ apiKey, apiSecret }).sign({
      identity: options.subject,
      room: options.room,
      role: options.role,
      ...(options.ttl !== undefined && { ttlSeconds: options.ttl }),
    });
  } catch (error) {
    const source = options.secretFile === undefined ? 'LIVEKIT_API_SECRET' : '--secret-file';
    const message = (error as Error).message;
    context.fail(
      isRoomkeyError(error, 'invalid_claim')
        ? `cannot sign: ${message}`
        : message.replace(/^livekit\.apiSecret/, source),
    );
  }
  printSigned(
    context,
    signed,
    options.json,
    `livekit token for ${options.subject} (${options.role}, room ${options.room})`,
  );
}

async function signRed5Pro(context: CommandContext, options: SignOptions): Promise<void> {
  const { env } = context;
  const secret = readSecret(options.secretFile, 'RED5PRO_JWT_SECRET', env);
  if (secret === undefined) {
    context.fail('no secret: set RED5PRO_JWT_SECRET or pass --secret-file (a secret is never given as a flag value)');
  }
  if ((options.room === undefined) === (options.anyRoom === undefined)) {
    context.fail('name the rooms with --room NAME (repeatable), or say --any-room for a token that opens every room');
  }
  if ((options.transports === undefined) === (options.anyTransport === undefined)) {
    context.fail('name the protocols with --transports WHIP,WHEP, or say --any-transport for every protocol');
  }
  const ttlMinutes = options.ttlMinutes ?? parseEnvMinutes(context);
  const issuer = options.issuer ?? (env.RED5PRO_JWT_ISSUER || undefined);
  let signer: ReturnType<typeof createRed5ProSigner>;
  try {
    signer = createRed5ProSigner({ secret, maxTtlMinutes: ttlMinutes, ...(issuer !== undefined && { issuer }) });
  } catch (error) {
    const source = options.secretFile === undefined ? 'RED5PRO_JWT_SECRET' : '--secret-file';
    context.fail(
      /^secret/.test((error as Error).message) ? `${source}: ${(error as Error).message}` : (error as Error).message,
    );
  }
  const input: Red5ProSignInput = {
    subject: options.subject,
    roles: RED5PRO_ROLE_MAP[options.role],
    // Both were checked above: a list, or 'any' because --any-room / --any-transport said so.
    rooms: options.room ?? 'any',
    transports: options.transports?.split(',') ?? 'any',
    ...(options.ttl !== undefined && { ttlSeconds: options.ttl }),
    ...(options.name !== undefined && { name: options.name }),
  };
  let signed: Awaited<ReturnType<typeof signer.sign>>;
  try {
    signed = await signer.sign(input);
  } catch (error) {
    if (isRoomkeyError(error, 'invalid_claim')) context.fail(`cannot sign: ${error.message}`);
    throw error;
  }
  if (options.ttl !== undefined && options.ttl > signer.maxTtlSeconds) {
    // Said, not silent: the token lives less than asked (the JSON's expiresAt is the real expiry).
    const margin = ttlMinutes * 60 - signer.maxTtlSeconds;
    context.stderr.write(
      `note: --ttl capped to ${formatSeconds(signer.maxTtlSeconds)}: the server accepts at most ${ttlMinutes} minutes ` +
        `(--ttl-minutes, else RED5PRO_JWT_TTL_MINUTES, else 60), less a ${margin} s clock-skew margin\n`,
    );
  }
  printSigned(
    context,
    signed,
    options.json,
    `red5pro token for ${options.subject} (${options.role}, ${options.room?.join(',') ?? 'every room'}, ` +
      `${options.transports ?? 'every protocol'})`,
  );
}

/** The token alone on standard output (or `{ token, expiresAt, claims }`), what it is on standard error. */
function printSigned(
  context: CommandContext,
  signed: { token: string; expiresAt: Date; claims: object },
  json: true | undefined,
  what: string,
): void {
  if (json) {
    writeJson(context.stdout, {
      token: signed.token,
      expiresAt: signed.expiresAt.toISOString(),
      claims: signed.claims,
    });
    return;
  }
  context.stdout.write(`${signed.token}\n`);
  const at = signed.expiresAt.getTime();
  context.stderr.write(context.errorStyle.dim(`${what}, expires ${localTime(at)}, ${relativeTime(at, Date.now())}\n`));
}

function parseEnvMinutes(context: CommandContext): number {
  const raw = context.env.RED5PRO_JWT_TTL_MINUTES;
  if (raw === undefined || raw === '') return 60;
  try {
    return parseWholeNumber(1, 525_600)(raw);
  } catch (error) {
    return context.fail(`RED5PRO_JWT_TTL_MINUTES: ${(error as Error).message}`);
  }
}

/** `59.5 minutes`, `2 hours`: a lifetime in words. */
function formatSeconds(seconds: number): string {
  const minutes = seconds / 60;
  if (minutes >= 120 && minutes % 60 === 0) return `${minutes / 60} hours`;
  return `${Math.round(minutes * 10) / 10} minutes`;
}
