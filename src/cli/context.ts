import type { Command } from 'commander';
import { loadConfig, type Config } from '../adapters/config/load-config.ts';
import { openDatabase, type Database } from '../adapters/store/database.ts';
import { createLogger, type Logger } from '../adapters/log/logger.ts';
import { toJson } from '../core/json.ts';

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

  db(): Promise<Database> {
    this.#db ??= openDatabase({ url: this.config().dbUrl });
    return this.#db;
  }

  /** Print a result: `json` (bigints as strings) with --json, else the human text. */
  out(json: unknown, human: string | (() => string)): void {
    if (this.json) process.stdout.write(toJson(json, 2) + '\n');
    else process.stdout.write((typeof human === 'function' ? human() : human) + '\n');
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
