import type { Command } from 'commander';
import { action } from '../context.ts';
import { readInputFile } from '../input-file.ts';
import { DomainError } from '../../core/errors.ts';
import { describeRequirement } from '../../core/policy/approvals.ts';
import { proposePolicy } from '../../app/propose-policy.ts';
import { approvePolicy, policyChangeSubject } from '../../app/approve-policy.ts';
import { requireActor } from '../../app/governance.ts';
import { approvalStatement } from '../../core/auth/approval-signature.ts';
import { readMemberKeyFile, signApproval } from '../../adapters/signers/member-key.ts';
import { testPolicy } from '../../app/test-policy.ts';
import { allowDestination } from '../../app/allow-destination.ts';
import { requireVaultOf } from '../../app/governance.ts';
import { AS_HELP, actorOf, parseId, withGovernance } from '../governance-deps.ts';

const EX = (lines: string[]): string => ['', 'Examples:', ...lines.map((l) => `  $ ${l}`)].join('\n');

export function register(program: Command): void {
  const policy = program
    .command('policy')
    .description('the spending policy: ordered rules, versioned; changes need the quorum the current version names')
    .option('--as <member>', AS_HELP);

  policy
    .command('show')
    .description('show the active policy and pending changes')
    .addHelpText('after', EX(['soberana policy show', 'soberana policy show --json']))
    .action(action(async (ctx) => {
      const r = await withGovernance(ctx, {}, async (deps) => ({ active: await deps.spends.activePolicy(), changes: await deps.spends.policyChanges() }));
      const pending = r.changes.filter((c) => c.state === 'proposed');
      ctx.out({ active: r.active ? { version: r.active.version, activatedAtMs: r.active.activatedAtMs, policy: JSON.parse(r.active.document) as unknown } : null, pending: pending.map(({ document: _d, ...c }) => c) }, () => {
        if (!r.active) return 'no policy yet: an admin proposes version 1 with "soberana policy propose FILE" (see docs/examples/policy.json)';
        const p = r.active.policy;
        const lines = [`policy version ${p.version}: ${p.name}`, `  groups: ${p.groups.join(', ')}; allowlist delay ${p.allowlistDelaySeconds} s`, `  policy change needs: ${describeRequirement(p.policyChange)}`, '  rules (first match wins):'];
        p.rules.forEach((rule, i) => lines.push(`    ${i + 1}. ${rule.id} → ${rule.then.outcome === 'approval' ? `approval by ${describeRequirement(rule.then.requirement)}${rule.then.signingDelaySeconds ? `, signing delay ${rule.then.signingDelaySeconds} s` : ''}` : rule.then.outcome}${rule.description ? ` — ${rule.description}` : ''}`));
        for (const c of pending) lines.push(`  pending change ${c.id}: version ${c.version} by ${c.proposer}, approvals: ${c.approvals.map((a) => a.approverId).join(', ') || 'none'}`);
        return lines.join('\n');
      });
    }));

  policy
    .command('propose <file>')
    .description('propose a new policy version (needs role admin); with no policy yet, version 1 is accepted at once (bootstrap)')
    .addHelpText('after', EX(['soberana policy propose --as ana docs/examples/policy.json', 'soberana policy propose --as ana policy-v2.json']))
    .action(action(async (ctx, file: string) => {
      const text = readInputFile(file, 'policy file', 1024 * 1024);
      const r = await withGovernance(ctx, {}, (deps) => proposePolicy(deps, { actor: actorOf(ctx), document: text }));
      const { document: _d, ...change } = r.change;
      ctx.out({ change, active: r.active, status: r.status }, r.active ? `policy version ${r.change.version} is active (first policy)` : `policy change ${r.change.id} (version ${r.change.version}) proposed; it needs ${r.status?.requirementText ?? ''}: approvers run "soberana policy approve ${r.change.id} --as <approver>"`);
    }));

  policy
    .command('approve <change>')
    .description('approve a pending policy change (needs role approver); it takes effect at the quorum the current policy names')
    .option('--key <file>', 'your approval key file: the approval is your signature; required outside regtest')
    .addHelpText('after', EX(['soberana policy approve 2 --as maria --key ~/.soberana/maria.key']))
    .action(action(async (ctx, id: string, o: { key?: string }) => {
      const r = await withGovernance(ctx, {}, async (deps) => {
        const changeId = parseId(id, 'change');
        let signature: string | undefined;
        if (o.key !== undefined) {
          const key = readMemberKeyFile(o.key);
          const me = await requireActor(deps.spends, actorOf(ctx), 'approver');
          const change = await deps.spends.policyChange(changeId);
          const current = await deps.spends.activePolicy();
          if (!change || !current) throw new DomainError('NOT_FOUND', `no pending change ${changeId}`);
          signature = signApproval(key, approvalStatement(deps.network, me.id, policyChangeSubject(change, current.version)));
        }
        return approvePolicy(deps, { actor: actorOf(ctx), changeId, signature });
      });
      ctx.out(r, r.active ? (r.status.toVersion === r.status.fromVersion ? `change ${id} accepted: the member change is in force` : `policy version ${r.status.toVersion} is now active`) : `approval recorded; ${r.status.missing} (${r.status.requirementText})`);
    }));

  policy
    .command('test')
    .description('explain how the active policy decides a proposal now: which rule matched and why, and whether it may be broadcast')
    .requiredOption('--proposal <id>', 'the spend proposal')
    .addHelpText('after', EX(['soberana policy test --proposal 1']))
    .action(action(async (ctx, o: { proposal: string }) => {
      const r = await withGovernance(ctx, {}, (deps) => testPolicy(deps, { proposalId: parseId(o.proposal) }));
      ctx.out(r, () => [...r.decision.explanation, `→ ${r.readiness.ready ? 'ready' : 'not ready'}: ${r.readiness.reason}`].join('\n'));
    }));

  policy
    .command('allow <address>')
    .description('put a destination on a vault\'s allowlist (needs role admin); usable after the policy\'s allowlist delay')
    .requiredOption('--vault <vault>', 'the vault')
    .addHelpText('after', EX(['soberana policy allow --as ana bcrt1q… --vault reserve']))
    .action(action(async (ctx, address: string, o: { vault: string }) => {
      const e = await withGovernance(ctx, {}, (deps) => allowDestination(deps, { actor: actorOf(ctx), vault: o.vault, address }));
      ctx.out(e, `${e.address} added to the allowlist of ${e.vaultId}`);
    }));

  policy
    .command('allowlist')
    .description('list a vault\'s allowlist')
    .requiredOption('--vault <vault>', 'the vault')
    .addHelpText('after', EX(['soberana policy allowlist --vault reserve']))
    .action(action(async (ctx, o: { vault: string }) => {
      const list = await withGovernance(ctx, {}, async (deps) => deps.spends.allowlist((await requireVaultOf(deps.vaults, o.vault)).id));
      ctx.out({ allowlist: list }, () => (list.length === 0 ? 'the allowlist is empty' : list.map((e) => `${e.address}  added ${new Date(e.addedAtMs).toISOString()} by ${e.addedBy}`).join('\n')));
    }));
}
