import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { action } from '../context.ts';
import { DomainError } from '../../core/errors.ts';
import { toJson } from '../../core/json.ts';
import { assertAuditClean, verifyAuditLog } from '../../app/verify-audit-log.ts';
import { withGovernance } from '../governance-deps.ts';

export function register(program: Command): void {
  const audit = program.command('audit').description('the append-only, hash-chained audit log of every governance action');
  audit
    .command('verify')
    .description('recompute the hash chain; exit code 10 (AUDIT_TAMPERED) naming every edited, reordered, deleted or inserted row')
    .addHelpText('after', '\nExamples:\n  $ soberana audit verify\n  $ soberana audit verify --json')
    .action(action(async (ctx) => {
      const v = await withGovernance(ctx, {}, (deps) => verifyAuditLog(deps));
      assertAuditClean(v);
      ctx.out(v, `audit log intact: ${v.entries} entries${v.head ? `, head ${v.head.seq} ${v.head.hash}` : ''}`);
    }));
  audit
    .command('export')
    .description('write the audit log as JSONL (one entry per line, with seq, prevHash and hash to re-verify elsewhere)')
    .option('--out <file>', 'write to this file instead of standard output')
    .addHelpText('after', '\nExamples:\n  $ soberana audit export --out audit.jsonl\n  $ soberana audit export | tail -n 3')
    .action(action(async (ctx, o: { out?: string }) => {
      const entries = await withGovernance(ctx, {}, (deps) => deps.spends.auditLog());
      const text = entries.map((e) => toJson(e)).join('\n') + (entries.length ? '\n' : '');
      if (o.out) {
        try {
          writeFileSync(o.out, text);
        } catch {
          throw new DomainError('INVALID_ARGUMENT', `cannot write ${o.out}`);
        }
        ctx.out({ out: o.out, entries: entries.length }, `wrote ${entries.length} audit entries to ${o.out}`);
      } else process.stdout.write(text);
    }));
}
