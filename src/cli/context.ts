import type { Command } from 'commander';
import { loadConfig, type Config } from '../adapters/config/load-config.ts';
import type { Database } from '../adapters/store/database.ts';
import { createLogger, type Logger } from '../adapters/log/logger.ts';
import { toJson } from '../core/json.ts';
import { displaySafe, displaySafeDeep, displaySafeReport } from '../core/text/display-text.ts';

/** The global options every command accepts. */
export interface GlobalOptions {
  json?: boolean;
  db?: string;
  network?: string;
  config?: string;
  logLevel?: string;
}

/** What a command action gets: parsed config, a lazily opened database, output helpers. */
export class CliContext {
  readonly json: boolean;
  readonly globals: GlobalOptions;
  #config: Config | undefined;
  #db: Promise<Database> | undefined;
  #log: Logger | undefined;

  constructor(globals: GlobalOptions) {
    this.globals = globals;
    this.json = globals.json === true;
  }

  /** Whether the network was given explicitly (flag, env or config file) rather than defaulted. */
  get networkExplicit(): boolean {
    return this.globals.network !== undefined || process.env.SOBERANA_NETWORK !== undefined;
  }

  config(): Config {
    this.#config ??= loadConfig({ db: this.globals.db, network: this.globals.network, config: this.globals.config, logLevel: this.globals.logLevel });
    return this.#config;
  }

  log(): Logger {
    this.#log ??= createLogger(this.config().logLevel);
    return this.#log;
  }

  /** The database, opened on first use (its drivers and query builder load only then). */
  db(): Promise<Database> {
    this.#db ??= import('../adapters/store/database.ts').then(({ openDatabase }) => openDatabase({ url: this.config().dbUrl }));
    return this.#db;
  }

  /**
   * Print a result: `json` (bigints as strings) with --json, else the human text. What people
   * read is what is true: every string in `json` is printed through `displaySafe` (control,
   * bidirectional-override and invisible characters written as visible escapes), and so is the
   * human text, where each text field of `json` it quotes is escaped as one line (a line break in
   * a memo cannot forge a line) — so pass the data the human text is made from as `json`.
   */
  out(json: unknown, human: string | (() => string)): void {
    if (this.json) process.stdout.write(toJson(displaySafeDeep(json), 2) + '\n');
    else process.stdout.write(displaySafeReport(typeof human === 'function' ? human() : human, json) + '\n');
  }

  /**
   * Print a whole document (an exported file) on standard output: its line breaks and tabs kept,
   * every other control, bidirectional-override or invisible character made visible. `--out FILE`
   * is the way to get the exact bytes.
   */
  outDocument(text: string): void {
    const safe = displaySafe(text, { multiline: true });
    process.stdout.write(safe.endsWith('\n') ? safe : `${safe}\n`);
  }

  async close(): Promise<void> {
    if (this.#db) {
      const db = await this.#db.catch(() => undefined);
      await db?.close();
    }
  }
}

/**
 * Wrap a command action: builds the context from the global options, runs the action,
 * closes the database. Errors propagate to `main`, which maps them to exit codes.
 */
export function action<A extends unknown[]>(
  fn: (ctx: CliContext, ...args: A) => Promise<void>,
): (...args: unknown[]) => Promise<void> {
  return async (...args: unknown[]) => {
    const cmd = args[args.length - 1] as Command;
    const ctx = new CliContext(cmd.optsWithGlobals<GlobalOptions>());
    try {
      await fn(ctx, ...(args.slice(0, -1) as A));
    } finally {
      await ctx.close();
    }
  };
}
