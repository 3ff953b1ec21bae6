import type { Command } from 'commander';
import { action } from '../context.ts';
import { readSchemaVersion } from '../../adapters/store/schema-info.ts';

export function register(program: Command): void {
  program
    .command('status')
    .description('show the configuration in use and the state of the database')
    .addHelpText('after', '\nExamples:\n  $ soberana status\n  $ soberana status --json --db ./reserve.db')
    .action(
      action(async (ctx) => {
        const cfg = ctx.config();
        const db = await ctx.db();
        const schema = await readSchemaVersion(db);
        const result = {
          network: cfg.network,
          database: { engine: db.engine, location: db.describe, schemaVersion: schema },
          chain: cfg.chain ? { kind: cfg.chain.kind, url: redactUrlLike(cfg.chain.url) } : null,
          configFile: cfg.configFile ?? null,
        };
        ctx.out(result, () =>
          [
            `network:   ${result.network}`,
            `database:  ${db.describe} (${db.engine}, schema v${schema})`,
            `chain:     ${result.chain ? `${result.chain.kind} at ${result.chain.url}` : 'not configured (run "soberana node start" for a local regtest node)'}`,
            `config:    ${result.configFile ?? 'none (defaults and environment)'}`,
          ].join('\n'),
        );
      }),
    );
}

function redactUrlLike(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}
