import { Command, CommanderError, Option } from 'commander';
import { isDomainError } from '../core/errors.ts';
import { toJson } from '../core/json.ts';
import { displaySafe } from '../core/text/display-text.ts';
import { registerCommands } from './commands/index.ts';
import { EXIT, EXIT_CODE_BY_ERROR } from './exit-codes.ts';

/**
 * Build the `soberana` command tree (exported for tests and for `--help` docs). Given a command
 * line, only the command groups it needs are loaded (see commands/index.ts); without one, all.
 */
export async function buildProgram(argv?: readonly string[]): Promise<Command> {
  const program = new Command('soberana')
    .description('Soberana: sovereign Bitcoin reserve custody, governance and transparency (watch-only)')
    .version('0.1.0', '-V, --version')
    .option('--json', 'print machine-readable JSON (amounts as strings of sats)')
    .option('--db <url>', 'SQLite file or postgres:// URL (default ./soberana.db, or $DATABASE_URL)')
    .addOption(new Option('--network <name>', 'bitcoin network').choices(['main', 'mainnet', 'test', 'testnet', 'signet', 'regtest']))
    .option('--config <file>', 'JSON config file (default ./soberana.config.json if present)')
    .option('--log-level <level>', 'log level: fatal, error, warn, info, debug, trace')
    .showSuggestionAfterError(true)
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  $ soberana status',
        "  $ soberana descriptor info 'wsh(sortedmulti(2,[..]xpub…/<0;1>/*,…))#checksum' --json",
        '  $ soberana --db postgres://treasury@localhost/soberana status',
        '',
        'Exit codes: 0 ok, 2 usage, 3 invalid input, 4 not found, 5 conflict, 6 refused by a rule,',
        '            7 access, 8 chain source, 9 database, 10 audit log tampered, 1 internal error.',
      ].join('\n'),
    );
  await registerCommands(program, argv);
  applyRecursively(program, (cmd) => {
    cmd.exitOverride();
    cmd.configureOutput({ writeErr: () => undefined, outputError: () => undefined });
  });
  return program;
}

function applyRecursively(cmd: Command, fn: (c: Command) => void): void {
  fn(cmd);
  for (const sub of cmd.commands) applyRecursively(sub, fn);
}

function wantsJson(argv: readonly string[]): boolean {
  return argv.includes('--json');
}

/** One line on stderr; the message often quotes what the user typed, so it is shown escaped. */
function printError(json: boolean, code: string, message: string): void {
  const safe = displaySafe(message);
  if (json) process.stderr.write(toJson({ error: { code, message: safe } }) + '\n');
  else process.stderr.write(`error: ${safe}\n`);
}

/** Run the CLI; resolves to the process exit code. Never prints a stack trace for user mistakes. */
export async function main(argv: readonly string[]): Promise<number> {
  const json = wantsJson(argv);
  try {
    const program = await buildProgram(argv);
    await program.parseAsync(argv as string[], { from: 'user' });
    return EXIT.OK;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT.OK;
      if (e.code === 'commander.executeSubCommandAsync') return e.exitCode;
      const msg = e.message.replace(/^error:\s*/, '').split('\n')[0] ?? e.message;
      printError(json, 'USAGE', `${msg} (see "soberana --help")`);
      return EXIT.USAGE;
    }
    if (isDomainError(e)) {
      printError(json, e.code, e.message);
      return EXIT_CODE_BY_ERROR[e.code];
    }
    const err = e instanceof Error ? e : new Error(String(e));
    printError(json, 'INTERNAL', `internal error: ${err.message} (set SOBERANA_DEBUG=1 for details)`);
    if (process.env.SOBERANA_DEBUG === '1') process.stderr.write(`${displaySafe(err.stack ?? '', { multiline: true })}\n`);
    return EXIT.INTERNAL;
  }
}
