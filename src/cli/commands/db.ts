import type { Command } from 'commander';
import { action } from '../context.ts';
import { readSchemaVersion } from '../../adapters/store/schema-info.ts';

export function register(program: Command): void {
  const db = program.command('db').description('database maintenance');
  db.command('migrate')
    .description('apply pending schema migrations (also done automatically on every command)')
    .addHelpText('after', '\nExamples:\n  $ soberana db migrate --db postgres://user@localhost/soberana')
    .action(
      action(async (ctx) => {
        const database = await ctx.db();
        const version = await readSchemaVersion(database);
        ctx.out({ engine: database.engine, schemaVersion: version }, `database ${database.describe} is at schema v${version}`);
      }),
    );
}
