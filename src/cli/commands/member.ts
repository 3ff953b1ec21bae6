import type { Command } from 'commander';
import { action } from '../context.ts';
import { addMember, changeMember, type AddMemberResult } from '../../app/add-member.ts';
import { createMemberKeyFile } from '../../adapters/signers/member-key.ts';
import { memberKeyKind } from '../../core/auth/approval-signature.ts';
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
    .option('--public-key <key>', 'the member\'s approval key: BIP340 hex from "soberana member key new" on THEIR machine, or a passkey credential webauthn:v1:{…} (members register passkeys themselves in the dashboard); needed to approve outside regtest')
    .addHelpText('after', '\nOnce a policy is active, a member with approval powers (approver, admin, or a group) is added only when\nthe quorum the policy names for policy changes approves it: "soberana policy approve <change> --as … --key …".\n\nExamples:\n  $ soberana member add --name ana --role admin\n  $ soberana member add --as ana --name maria --role approver --group finance --public-key 79be…\n  $ soberana member add --as ana --name luis --role operator,treasury-operator')
    .action(action(async (ctx, o: { name: string; id?: string; role: string[]; group: string[]; publicKey?: string }) => {
      const r = await withGovernance(ctx, {}, (deps) => addMember(deps, { actor: actorOf(ctx), name: o.name, id: o.id, roles: o.role, groups: o.group, publicKey: o.publicKey }));
      ctx.out(r, memberText(r, 'added'));
    }));
  member
    .command('change <member>')
    .description('change a member\'s roles, groups or approval key (governed by quorum when they have approval powers)')
    .option('--role <role>', 'the new roles (repeat or comma-separate)', collect, [])
    .option('--group <group>', 'the new approver groups (repeat or comma-separate)', collect, [])
    .option('--public-key <key>', 'a new approval key (e.g. after a lost device): BIP340 hex, or a passkey credential webauthn:v1:{…}')
    .addHelpText('after', '\nExamples:\n  $ soberana member change maria --as ana --public-key 79be…\n  $ soberana member change luis --as ana --role operator,auditor')
    .action(action(async (ctx, id: string, o: { role: string[]; group: string[]; publicKey?: string }) => {
      const r = await withGovernance(ctx, {}, (deps) => changeMember(deps, { actor: actorOf(ctx), id, roles: o.role, groups: o.group.length > 0 ? o.group : undefined, publicKey: o.publicKey }));
      ctx.out(r, memberText(r, 'changed'));
    }));
  const key = member.command('key').description('a member\'s approval key: made and kept on the member\'s own machine; Soberana stores only the public key');
  key
    .command('new')
    .description('make a new approval key in a file only you can read, and print its public key for "member add/change --public-key"')
    .requiredOption('--out <file>', 'where to write the key (never overwritten)')
    .option('--member <id>', 'who it is for (a label in the file)', '')
    .addHelpText('after', '\nExamples:\n  $ soberana member key new --out ~/.soberana/maria.key --member maria')
    .action(action(async (ctx, o: { out: string; member: string }) => {
      const { publicKey } = createMemberKeyFile(o.out, o.member);
      ctx.out({ file: o.out, publicKey }, `wrote ${o.out} (readable only by you)\npublic key: ${publicKey}\ngive the public key to your administrator; keep the file to yourself`);
    }));
  member
    .command('list')
    .description('list members with their roles and groups')
    .addHelpText('after', '\nExamples:\n  $ soberana member list\n  $ soberana member list --json')
    .action(action(async (ctx) => {
      const list = await withGovernance(ctx, {}, (deps) => deps.spends.members());
      ctx.out({ members: list }, () => (list.length === 0 ? 'no members yet (see "soberana member add --help")' : list.map((m) => `${m.id.padEnd(16)} ${m.name.padEnd(24)} roles: ${m.roles.join(', ')}${m.groups.length ? `  groups: ${m.groups.join(', ')}` : ''}${m.publicKey ? `  key: ${keyWords(m.publicKey)}` : ''}`).join('\n')));
    }));
}

function keyWords(publicKey: string): string {
  const kind = memberKeyKind(publicKey);
  return kind === 'passkey' ? 'passkey' : kind === 'bip340' ? 'key file (BIP340)' : 'unreadable';
}

function memberText(r: AddMemberResult, verb: string): string {
  const m = r.member;
  const what = `${m.id} (${m.name}): roles ${m.roles.join(', ')}${m.groups.length ? `; groups ${m.groups.join(', ')}` : ''}${m.publicKey ? `; approval key: ${keyWords(m.publicKey)}` : ''}`;
  if (r.pending === null) return `${verb} member ${what}`;
  return `proposed as change ${r.pending.changeId}: ${what}\nit needs ${r.pending.requirement}: approvers run "soberana policy approve ${r.pending.changeId} --as <approver> --key <their key file>"`;
}
