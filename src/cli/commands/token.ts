import type { Command } from 'commander';
import { action } from '../context.ts';
import { parseRole, ROLES } from '../../core/auth/roles.ts';
import { SqlApiTokenStore } from '../../adapters/store/token-store.ts';
import { SqlSpendStore } from '../../adapters/store/spend-store.ts';
import { issueToken, revokeToken } from '../../app/issue-token.ts';
import { issueEnrolment, listEnrolments, redeemEnrolment, revokeEnrolment } from '../../app/enrol-member.ts';
import { enrolmentState, parseEnrolmentLifetime, type EnrolmentInfo } from '../../core/auth/roles.ts';
import { DomainError } from '../../core/errors.ts';

const iso = (ms: number | null): string => (ms === null ? '-' : new Date(ms).toISOString());

/** Read the code from standard input when it is given as "-" (so it stays out of shell history and ps). */
async function codeFrom(arg: string): Promise<string> {
  if (arg !== '-') return arg;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of process.stdin) {
    const b = Buffer.isBuffer(c) ? c : Buffer.from(String(c));
    size += b.length;
    if (size > 1024) throw new DomainError('INVALID_ARGUMENT', 'an enrolment code on standard input is one short line');
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8').trim();
}

export function register(program: Command): void {
  const token = program
    .command('token')
    .description('API tokens for the HTTP server: each carries one role (admin, operator, approver, auditor)')
    .addHelpText(
      'after',
      '\nA token bound to a member (it acts in governance as them) is made only by the member\'s own enrolment:\nan admin issues a one-time code ("token enrol-code"), the member redeems it ("token enrol").\n\nExamples:\n  $ soberana token create --role auditor --name "IMF mission"\n  $ soberana token enrol-code --member maria --role approver --as rosa\n  $ soberana token enrol soe_… --name "maria laptop"\n  $ soberana token list --json\n  $ soberana token revoke tok_0123456789ab',
    );

  token
    .command('create')
    .description('create a token bound to no member (it reads what its role allows) and print it once; members get theirs by enrolment')
    .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`)
    .requiredOption('--name <name>', 'who or what holds it, e.g. "Treasury desk"')
    .option('--member <id>', 'refused: a token is bound to a member only by their enrolment (see "token enrol-code")')
    .option('--as <member>', 'the admin issuing it (recorded in the audit log; default: cli)')
    .addHelpText('after', '\nExamples:\n  $ soberana token create --role operator --name "Treasury desk"\n  $ curl -H "Authorization: Bearer sob_…" http://127.0.0.1:8080/api/v1/session')
    .action(
      action(async (ctx, opts: { role: string; name: string; member?: string; as?: string }) => {
        const role = parseRole(opts.role);
        const db = await ctx.db();
        const t = await issueToken({ tokens: new SqlApiTokenStore(db), spends: new SqlSpendStore(db), now: () => Date.now() }, { actor: opts.as ?? process.env.SOBERANA_ACTOR ?? 'cli', role: 'admin' }, { name: opts.name, role, memberId: opts.member });
        ctx.out(t, () =>
          [
            `token ${t.id} for "${t.name}" (${t.role}, issued to no member: it cannot act in governance):`,
            '',
            `  ${t.token}`,
            '',
            'Store it now: it is shown only this once. Send it as "Authorization: Bearer <token>".',
          ].join('\n'),
        );
      }),
    );

  token
    .command('enrol-code')
    .description('issue a one-time enrolment code for a member and a role they hold; they redeem it for their own token')
    .requiredOption('--member <id>', 'the member\'s id (see "soberana member list")')
    .requiredOption('--role <role>', `a role the member holds: ${ROLES.join(', ')}`)
    .option('--expires <time>', 'how long the code lives: 30m, 24h, 7d (1 minute to 30 days)', '24h')
    .option('--as <member>', 'the admin issuing it (recorded in the audit log; default: cli)')
    .addHelpText('after', '\nThe code is printed once and stored only as a hash; give it to the member over a channel you trust.\nIt works once, until it expires; "token enrol-revoke" withdraws it.\n\nExamples:\n  $ soberana token enrol-code --member maria --role approver --as rosa\n  $ soberana token enrol-code --member luis --role operator --expires 2h --json')
    .action(
      action(async (ctx, opts: { member: string; role: string; expires: string; as?: string }) => {
        const role = parseRole(opts.role);
        const lifetimeMs = parseEnrolmentLifetime(opts.expires);
        const db = await ctx.db();
        const e = await issueEnrolment({ tokens: new SqlApiTokenStore(db), spends: new SqlSpendStore(db), now: () => Date.now() }, { actor: opts.as ?? process.env.SOBERANA_ACTOR ?? 'cli', role: 'admin' }, { memberId: opts.member, role, lifetimeMs });
        ctx.out(e, () =>
          [
            `enrolment ${e.id} for member ${e.memberId} (${e.role}), valid until ${iso(e.expiresAtMs)}:`,
            '',
            `  ${e.code}`,
            '',
            'Give it to the member now: it is shown only this once and works once. They run:',
            `  soberana token enrol - --name "<their device>"   (the code on standard input)`,
            'or POST /api/v1/enrol {"code": …, "name": …}.',
          ].join('\n'),
        );
      }),
    );

  token
    .command('enrol')
    .description('redeem your enrolment code for your own token (bound to you, with the code\'s role), printed once')
    .argument('<code>', 'the code from your administrator (soe_…), or - to read it from standard input')
    .requiredOption('--name <name>', 'what holds the token, e.g. "maria laptop"')
    .addHelpText('after', '\nExamples:\n  $ soberana token enrol - --name "maria laptop" < code.txt\n  $ soberana token enrol soe_… --name "maria laptop" --json')
    .action(
      action(async (ctx, code: string, opts: { name: string }) => {
        const given = await codeFrom(code);
        const db = await ctx.db();
        const t = await redeemEnrolment({ tokens: new SqlApiTokenStore(db), now: () => Date.now() }, given, { name: opts.name });
        ctx.out(t, () =>
          [
            `token ${t.id} for "${t.name}" (${t.role}, acts as member ${t.memberId ?? '?'}):`,
            '',
            `  ${t.token}`,
            '',
            'Store it now: it is shown only this once. Send it as "Authorization: Bearer <token>".',
          ].join('\n'),
        );
      }),
    );

  token
    .command('enrolments')
    .description('list enrolment codes with their state (never the codes)')
    .addHelpText('after', '\nExamples:\n  $ soberana token enrolments\n  $ soberana token enrolments --json')
    .action(
      action(async (ctx) => {
        const list = await listEnrolments({ tokens: new SqlApiTokenStore(await ctx.db()) });
        const now = Date.now();
        const rows = list.map((e) => ({ ...e, state: enrolmentState(e, now) }));
        ctx.out(rows, () => (rows.length === 0 ? 'no enrolments (issue one with "soberana token enrol-code --member ID --role R")' : rows.map((e) => enrolmentLine(e, e.state)).join('\n')));
      }),
    );

  token
    .command('enrol-revoke')
    .description('withdraw an enrolment code nobody has redeemed yet')
    .argument('<id>', 'the enrolment id shown by "token enrolments" (enr_…)')
    .option('--as <member>', 'the admin revoking it (recorded in the audit log; default: cli)')
    .addHelpText('after', '\nExamples:\n  $ soberana token enrol-revoke enr_0123456789ab --as rosa')
    .action(
      action(async (ctx, id: string, opts: { as?: string }) => {
        const db = await ctx.db();
        const e = await revokeEnrolment({ tokens: new SqlApiTokenStore(db), spends: new SqlSpendStore(db), now: () => Date.now() }, { actor: opts.as ?? process.env.SOBERANA_ACTOR ?? 'cli', role: 'admin' }, id);
        ctx.out(e, `revoked enrolment ${e.id} (member ${e.memberId}, ${e.role}); the code no longer works`);
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
            : list.map((t) => `${t.id}  ${t.role.padEnd(8)}  ${t.revokedAt ? `revoked ${t.revokedAt}` : 'active       '}  ${t.name}${t.memberId ? `  (member ${t.memberId})` : ''}`).join('\n'),
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

function enrolmentLine(e: EnrolmentInfo, state: string): string {
  const what = state === 'redeemed' ? `redeemed ${iso(e.redeemedAtMs)} → ${e.tokenId ?? '?'}` : state === 'revoked' ? `revoked ${iso(e.revokedAtMs)}` : `${state} until ${iso(e.expiresAtMs)}`;
  return `${e.id}  ${e.memberId.padEnd(16)} ${e.role.padEnd(8)}  ${what}  (by ${e.issuedBy})`;
}
