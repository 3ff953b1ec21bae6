import type { Command } from 'commander';
import { action } from '../context.ts';
import { parseRole, ROLES } from '../../core/auth/roles.ts';
import { SqlApiTokenStore } from '../../adapters/store/token-store.ts';
import { SqlSpendStore } from '../../adapters/store/spend-store.ts';
import { issueToken, revokeToken } from '../../app/issue-token.ts';

export function register(program: Command): void {
  const token = program
    .command('token')
    .description('API tokens for the HTTP server: each carries one role (admin, operator, approver, auditor)')
    .addHelpText('after', '\nExamples:\n  $ soberana token create --role auditor --name "IMF mission"\n  $ soberana token list --json\n  $ soberana token revoke tok_0123456789ab');

  token
    .command('create')
    .description('create a token and print it once (only its hash is stored; it cannot be shown again)')
    .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`)
    .requiredOption('--name <name>', 'who or what holds it, e.g. "Treasury desk"')
    .option('--member <id>', 'issue it to this member: it acts in governance as them (the role must be one they hold)')
    .option('--as <member>', 'the admin issuing it (recorded in the audit log; default: cli)')
    .addHelpText('after', '\nExamples:\n  $ soberana token create --role operator --name "Treasury desk"\n  $ curl -H "Authorization: Bearer sob_…" http://127.0.0.1:8080/api/v1/session')
    .action(
      action(async (ctx, opts: { role: string; name: string; member?: string; as?: string }) => {
        const role = parseRole(opts.role);
        const db = await ctx.db();
        const t = await issueToken({ tokens: new SqlApiTokenStore(db), spends: new SqlSpendStore(db), now: () => Date.now() }, { actor: opts.as ?? process.env.SOBERANA_ACTOR ?? 'cli', role: 'admin' }, { name: opts.name, role, memberId: opts.member });
        ctx.out(t, () =>
          [
            `token ${t.id} for "${t.name}" (${t.role}${t.memberId ? `, acts as member ${t.memberId}` : ', issued to no member: it cannot act in governance'}):`,
            '',
            `  ${t.token}`,
            '',
            'Store it now: it is shown only this once. Send it as "Authorization: Bearer <token>".',
          ].join('\n'),
        );
      }),
    );

  token
    .command('list')
    .description('list tokens (never their secrets)')
    .addHelpText('after', '\nExamples:\n  $ soberana token list\n  $ soberana token list --json')
    .action(
      action(async (ctx) => {
        const list = await new SqlApiTokenStore(await ctx.db()).list();
        ctx.out(list, () =>
          list.length === 0
            ? 'no tokens (create one with "soberana token create --role R --name N")'
            : list.map((t) => `${t.id}  ${t.role.padEnd(8)}  ${t.revokedAt ? `revoked ${t.revokedAt}` : 'active       '}  ${t.name}`).join('\n'),
        );
      }),
    );

  token
    .command('revoke')
    .description('revoke a token; it stops working at once')
    .argument('<id>', 'the token id shown by "token list" (tok_…)')
    .addHelpText('after', '\nExamples:\n  $ soberana token revoke tok_0123456789ab')
    .action(
      action(async (ctx, id: string) => {
        const db = await ctx.db();
        const t = await revokeToken({ tokens: new SqlApiTokenStore(db), spends: new SqlSpendStore(db), now: () => Date.now() }, { actor: process.env.SOBERANA_ACTOR ?? 'cli', role: 'admin' }, id);
        ctx.out(t, `revoked ${t.id} ("${t.name}", ${t.role})`);
      }),
    );
}
