import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { type CommandContext, failWith } from './commands/context.js';
import { inspectCommand } from './commands/inspect.js';
import { secretCommand, serviceKeyCommand } from './commands/secret.js';
import { serveCommand } from './commands/serve.js';
import { signCommand } from './commands/sign.js';
import { EXIT, styleFor, UsageError } from './output.js';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/** The whole command line. Every command has --help with an example; usage mistakes exit 2. */
export function createProgram(context: CommandContext): Command {
  const program = new Command('roomkey')
    .description('Short-lived tokens for live video: secrets, test tokens, token diagnosis, and the token service.')
    .version(version, '-v, --version')
    .option('--no-color', 'no colours (also NO_COLOR=1; colours are only used on a terminal anyway)')
    .showHelpAfterError('(roomkey <command> --help shows how to use it)')
    .configureOutput({
      writeOut: (text) => context.stdout.write(text),
      writeErr: (text) => context.stderr.write(text),
      outputError: (text, write) => write(context.errorStyle.red(text)),
    })
    .exitOverride();
  for (const command of [
    secretCommand(context),
    serviceKeyCommand(context),
    signCommand(context),
    inspectCommand(context),
    serveCommand(context),
  ]) {
    program.addCommand(command);
  }
  // Subcommands share the parent's output and exit handling.
  const inherit = (command: Command) => {
    for (const child of command.commands) {
      child.copyInheritedSettings(command);
      inherit(child);
    }
  };
  inherit(program);
  return program;
}

/** Runs the command line; resolves to the exit code. */
export async function run(argv: readonly string[]): Promise<number> {
  const colours = !argv.includes('--no-color');
  const context: CommandContext = {
    stdout: process.stdout,
    stderr: process.stderr,
    style: styleFor(process.stdout, colours),
    errorStyle: styleFor(process.stderr, colours),
    env: process.env,
    fail: failWith,
  };
  const program = createProgram(context);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version exit 0; every parsing mistake (already explained by commander) exits 2.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof UsageError) {
      context.stderr.write(`${context.errorStyle.red('error:')} ${error.message}\n`);
      return EXIT.usage;
    }
    context.stderr.write(`${context.errorStyle.red('error:')} ${(error as Error)?.message ?? String(error)}\n`);
    return EXIT.refused;
  }
}
