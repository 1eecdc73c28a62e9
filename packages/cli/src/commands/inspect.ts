import type { DecodedToken, TokenReport as Report } from '@roomkey/core';
import { BUILT_IN_PLATFORMS, RED5PRO_TRANSPORTS } from '@roomkey/core';
import { Command, InvalidArgumentError, Option } from 'commander';
import { explainVariables } from '../config/registry.js';
import { EXIT, type Style, writeJson } from '../output.js';
import { readSecret, readStdin } from '../secrets.js';
import { type CommandContext, example } from './context.js';
import { parseWholeNumber } from './sign.js';

interface InspectOptions {
  secretFile?: string;
  ttlMinutes?: number;
  issuer?: string;
  requireRole?: 'publisher' | 'subscriber';
  requireTransport?: string;
  requireRoom?: string;
  json?: true;
}

function transport(value: string): string {
  const upper = value.toUpperCase();
  if (!(RED5PRO_TRANSPORTS as readonly string[]).includes(upper)) {
    throw new InvalidArgumentError(`give one of ${RED5PRO_TRANSPORTS.join(', ')}`);
  }
  return upper;
}

/** `roomkey inspect`: decode a token, and say which of its platform's rules it fails and why. */
export function inspectCommand(context: CommandContext): Command {
  return new Command('inspect')
    .summary('decode a token and say which rule it fails (exit 0 accepted, 1 refused, 2 usage)')
    .description(
      "decode a token and explain it; with the secret and the server's settings, run Red5 Pro's checks rule by rule " +
        '(exit 0 accepted, 1 refused, 2 usage). Also explains Red5 Cloud conference, Vonage/OpenTok and LiveKit tokens.',
    )
    .argument('[token]', 'the token, or - to read it from standard input (the default when input is piped)')
    .option(
      '--secret-file <path>',
      'read the Red5 Pro secret (or the TURN secret) from this file instead of RED5PRO_JWT_SECRET (TURN_SECRET)',
    )
    .option('--ttl-minutes <n>', "the server's jwtTtlMinutes: tokens may not live longer", parseWholeNumber(1, 525_600))
    .option('--issuer <iss>', "the server's expectedIssuer")
    .addOption(
      new Option('--require-role <role>', 'what the client is about to do').choices(['publisher', 'subscriber']),
    )
    .option('--require-transport <name>', `the protocol the client uses: ${RED5PRO_TRANSPORTS.join(', ')}`, transport)
    .option('--require-room <room>', 'the room (scope) the client enters')
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      example(
        'pbpaste | roomkey inspect --ttl-minutes 60 --require-role publisher --require-transport WHIP --require-room stage',
        'with RED5PRO_JWT_SECRET set: every rule the Red5 Pro server applies, and the one that fails',
      ) +
        '\nA token pasted as an argument lands in your shell history: prefer standard input.\n' +
        "Also read from the environment, to check each platform's tokens (from @roomkey/core's registry):\n" +
        `${explainVariables().join('\n')}\n` +
        'TURN credentials: pipe in what `roomkey sign turn` printed (or an iceServers entry), or give\n' +
        '<username>:<credential>; with TURN_SECRET set, says whether coturn accepts them and until when.\n',
    )
    .action(async (argument: string | undefined, options: InspectOptions) => {
      const input = await tokenInput(context, argument);
      const report = await inspect(input, options, context);
      if (options.json) writeJson(context.stdout, report);
      else context.stdout.write(render(report, context.style));
      process.exitCode = report.verdict === 'refused' ? EXIT.refused : EXIT.ok;
    });
}

async function tokenInput(context: CommandContext, argument: string | undefined): Promise<string> {
  let text = argument;
  if (text === undefined || text === '-') {
    if (text === undefined && process.stdin.isTTY) {
      context.fail('give a token: roomkey inspect TOKEN, or pipe one in (roomkey inspect - < token.txt)');
    }
    text = await readStdin();
  }
  let token = text.trim().replace(/^Bearer\s+/i, '');
  // A URL the token travelled in (a WHIP/WHEP endpoint with ?token=…) works too.
  const fromQuery = /[?&]token=([^&#\s]+)/.exec(token)?.[1];
  if (fromQuery !== undefined) token = decodeURIComponent(fromQuery);
  if (token === '') context.fail('the input is empty: give a token');
  return token;
}

async function inspect(token: string, options: InspectOptions, context: CommandContext): Promise<Report> {
  const now = Date.now();
  const jwt = decode(token);
  const decoded: DecodedToken = typeof jwt === 'string' ? { token } : jwt;
  const settings = {
    // Read only when a platform asks for it (Red5 Pro's): a bad --secret-file fails only then.
    get secret() {
      return readSecret(options.secretFile, 'RED5PRO_JWT_SECRET', context.env);
    },
    secretSource: options.secretFile === undefined ? 'RED5PRO_JWT_SECRET' : '--secret-file',
    ttlMinutes: options.ttlMinutes,
    issuer: options.issuer,
    requireRole: options.requireRole,
    requireTransport: options.requireTransport,
    requireRoom: options.requireRoom,
  };
  // Each platform explains its own tokens: first those certainly its, then one that takes any JWT.
  for (const fallback of [false, true]) {
    for (const platform of BUILT_IN_PLATFORMS) {
      const explained = await platform.explain?.(decoded, { env: context.env, now, settings, fallback });
      if (explained !== undefined) return explained;
    }
  }
  return {
    kind: 'unknown',
    title: 'Not a token roomkey knows',
    header: undefined,
    claims: {},
    explained: [],
    expiresAt: undefined,
    signatureChecked: false,
    checks: [
      { rule: 'format', status: 'fail', message: typeof jwt === 'string' ? jwt : 'no platform reads this token' },
    ],
    verdict: 'refused',
  };
}

/** A compact JWS with JSON header and claims, or a sentence saying what it is not. */
function decode(token: string): Required<DecodedToken> | string {
  const parts = token.split('.');
  if (parts.length === 5) return 'this is an encrypted JWT (JWE): only its issuer can read it';
  if (parts.length !== 3) {
    return /^[A-Za-z0-9_-]+$/.test(token) && token.length > 40
      ? 'not a JWT (no dots). A Red5 Cloud chat token is a PubNub Access Manager token, which is not a JWT'
      : 'not a JWT: a JWT is three base64url parts joined by dots (header.claims.signature)';
  }
  const json = (part: string, what: string): Record<string, unknown> | string => {
    if (!/^[A-Za-z0-9_-]*$/.test(part)) return `the ${what} is not base64url`;
    try {
      const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
      return typeof value === 'object' && value !== null && !Array.isArray(value)
        ? (value as Record<string, unknown>)
        : `the ${what} is not a JSON object`;
    } catch {
      return `the ${what} is not JSON`;
    }
  };
  const header = json(parts[0] as string, 'header');
  if (typeof header === 'string') return `not a JWT: ${header}`;
  const claims = json(parts[1] as string, 'claims part');
  if (typeof claims === 'string') return `not a JWT: ${claims}`;
  return { token, header, claims };
}

function show(value: unknown): string {
  const text = visible(typeof value === 'string' ? value : (JSON.stringify(value) ?? '(absent)'));
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

/**
 * Text from a token (a claim's name or value, a rule's message quoting one) as the terminal shows
 * it: control, line-separating and bidirectional characters written as `\u…` escapes, so a token
 * cannot clear the screen, set the window title or add a forged verdict line.
 */
function visible(text: string): string {
  return text.replace(
    /[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu,
    (character) => `\\u${(character.codePointAt(0) as number).toString(16).padStart(4, '0')}`,
  );
}

/** The report as a person reads it: what the token says, then each rule and the verdict. */
export function render(report: Report, style: Style): string {
  const lines = [style.bold(report.title)];
  if (report.header !== undefined) {
    lines.push(
      `  header  ${Object.entries(report.header)
        .map(([name, value]) => `${name} ${show(value)}`)
        .join(', ')}`,
    );
  }
  const width = Math.max(8, ...report.explained.map((entry) => visible(entry.claim).length));
  for (const entry of report.explained) {
    const value = entry.value === undefined ? style.dim('(absent)') : show(entry.value);
    lines.push(
      `  ${visible(entry.claim).padEnd(width)}  ${value}\n  ${' '.repeat(width)}  ${style.dim(entry.meaning)}`,
    );
  }
  lines.push('', style.bold('Checks'));
  const ruleWidth = Math.max(...report.checks.map((check) => check.rule.length));
  for (const check of report.checks) {
    const mark =
      check.status === 'pass' ? style.green('✓') : check.status === 'fail' ? style.red('✗') : style.yellow('-');
    lines.push(`  ${mark} ${check.rule.padEnd(ruleWidth)}  ${visible(check.message)}`);
  }
  lines.push('');
  const failed = report.checks.find((check) => check.status === 'fail');
  if (report.verdict === 'refused' && failed !== undefined) {
    lines.push(`${style.red(style.bold('REFUSED'))} (rule: ${failed.rule}): ${visible(failed.message)}`);
  } else if (report.verdict === 'accepted') {
    lines.push(`${style.green(style.bold('ACCEPTED'))}: every rule passed, signature included.`);
  } else {
    lines.push(
      `${style.yellow(style.bold('SIGNATURE NOT CHECKED'))}: no rule that could be checked failed, but without the secret ` +
        'anyone could have written this token.',
    );
  }
  return `${lines.join('\n')}\n`;
}
