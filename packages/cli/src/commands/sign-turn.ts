import { createTurnCredentialSigner, isRoomkeyError, TURN_MAX_TTL_MINUTES } from '@roomkey/core';
import { Command, InvalidArgumentError } from 'commander';
import { localTime, relativeTime, writeJson } from '../output.js';
import { readSecret } from '../secrets.js';
import { type CommandContext, example } from './context.js';
import { parseDuration } from './sign.js';

interface SignTurnOptions {
  subject: string;
  ttl?: number;
  urls?: string;
  secretFile?: string;
}

/** `--ttl` for TURN: 60 s to a week. */
function turnDuration(value: string): number {
  let seconds: number;
  try {
    seconds = parseDuration(value);
  } catch (error) {
    // parseDuration speaks of Red5 Pro tokens; its 60 s minimum is TURN's too.
    throw new InvalidArgumentError((error as Error).message.replace('Red5 Pro tokens', 'TURN credentials'));
  }
  if (seconds > TURN_MAX_TTL_MINUTES * 60)
    throw new InvalidArgumentError('TURN credentials live at most 168h (a week)');
  return seconds;
}

/** A comma-separated list of URIs (`--urls`, `TURN_URLS`), without empty entries. */
export function splitUrls(value: string): string[] {
  return value
    .split(',')
    .map((url) => url.trim())
    .filter((url) => url !== '');
}

/** `roomkey sign turn …`: TURN REST API credentials (coturn's use-auth-secret) as `{ iceServers, expiresAt }`. */
export function signTurnCommand(context: CommandContext): Command {
  return new Command('turn')
    .description("issue TURN credentials with TURN_SECRET (coturn's static-auth-secret) or --secret-file")
    .requiredOption('--subject <id>', 'the user id written into the TURN username')
    .option('--ttl <duration>', 'lifetime such as 30m or 12h (default 12h, at most 168h)', turnDuration)
    .option('--urls <list>', 'comma-separated turn:, turns: and stun: URIs (default TURN_URLS)')
    .option('--secret-file <path>', 'read the secret from this file instead of TURN_SECRET')
    .addHelpText(
      'after',
      example(
        'TURN_URLS=turn:turn.example.com:3478?transport=udp roomkey sign turn --subject alice --ttl 1h',
        'prints { "iceServers": [...], "expiresAt": "..." }: iceServers go into new RTCPeerConnection({ iceServers })',
      ),
    )
    .action((options: SignTurnOptions) => signTurn(context, options));
}

function signTurn(context: CommandContext, options: SignTurnOptions): void {
  const secret = readSecret(options.secretFile, 'TURN_SECRET', context.env);
  if (secret === undefined) {
    context.fail('no secret: set TURN_SECRET or pass --secret-file (a secret is never given as a flag value)');
  }
  const urlList = options.urls ?? context.env.TURN_URLS;
  if (urlList === undefined || urlList === '') {
    context.fail('no TURN server: set TURN_URLS or pass --urls turn:turn.example.com:3478?transport=udp');
  }
  const urlSource = options.urls === undefined ? 'TURN_URLS' : '--urls';
  const secretSource = options.secretFile === undefined ? 'TURN_SECRET' : '--secret-file';
  const ttlMinutes = options.ttl === undefined ? undefined : Math.ceil(options.ttl / 60);
  let signer: ReturnType<typeof createTurnCredentialSigner>;
  try {
    signer = createTurnCredentialSigner({
      secret,
      urls: splitUrls(urlList),
      ...(ttlMinutes !== undefined && { ttlMinutes }),
    });
  } catch (error) {
    const message = (error as Error).message;
    context.fail(/^secret/.test(message) ? `${secretSource}: ${message}` : `${urlSource}: ${message}`);
  }
  let issued: ReturnType<typeof signer.issue>;
  try {
    issued = signer.issue(options.subject, options.ttl);
  } catch (error) {
    if (isRoomkeyError(error, 'invalid_claim')) context.fail(`cannot sign: ${error.message}`);
    throw error;
  }
  writeJson(context.stdout, { iceServers: issued.iceServers, expiresAt: issued.expiresAt.toISOString() });
  const at = issued.expiresAt.getTime();
  context.stderr.write(
    context.errorStyle.dim(
      `TURN credentials for ${options.subject}, expire ${localTime(at)}, ${relativeTime(at, Date.now())}\n`,
    ),
  );
}
