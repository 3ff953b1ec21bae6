import type { Command } from 'commander';
import { action } from '../context.ts';
import { addMember } from '../../app/add-member.ts';
import { AS_HELP, actorOf, collect, withGovernance } from '../governance-deps.ts';

export function register(program: Command): void {
  const member = program.command('member').description('people who propose, approve and audit spends (roles: admin, operator, approver, auditor; approver groups)').option('--as <member>', AS_HELP);
  member
    .command('add')
    .description('add a member (the first member needs no --as and must be an admin; after that an admin adds members)')
    .requiredOption('--name <name>', 'their name')
    .option('--id <id>', 'short id used with --as (default: from the name)')
    .option('--role <role>', 'a role (repeat or comma-separate): admin, operator, approver, auditor, or one a policy names', collect, [])
    .option('--group <group>', 'an approver group (repeat or comma-separate), e.g. finance, central-bank', collect, [])
    .addHelpText('after', '\nExamples:\n  $ soberana member add --name ana --role admin\n  $ soberana member add --as ana --name maria --role approver --group finance\n  $ soberana member add --as ana --name luis --role operator,treasury-operator')
    .action(action(async (ctx, o: { name: string; id?: string; role: string[]; group: string[] }) => {
      const m = await withGovernance(ctx, {}, (deps) => addMember(deps, { actor: actorOf(ctx), name: o.name, id: o.id, roles: o.role, groups: o.group }));
      ctx.out(m, `added member ${m.id} (${m.name}): roles ${m.roles.join(', ')}${m.groups.length ? `; groups ${m.groups.join(', ')}` : ''}`);
    }));
  member
    .command('list')
    .description('list members with their roles and groups')
    .addHelpText('after', '\nExamples:\n  $ soberana member list\n  $ soberana member list --json')
    .action(action(async (ctx) => {
      const list = await withGovernance(ctx, {}, (deps) => deps.spends.members());
      ctx.out({ members: list }, () => (list.length === 0 ? 'no members yet (see "soberana member add --help")' : list.map((m) => `${m.id.padEnd(16)} ${m.name.padEnd(24)} roles: ${m.roles.join(', ')}${m.groups.length ? `  groups: ${m.groups.join(', ')}` : ''}`).join('\n')));
    }));
}
