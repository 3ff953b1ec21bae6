import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { action } from '../context.ts';
import { DomainError } from '../../core/errors.ts';
import { toJson } from '../../core/json.ts';
import { auditTimeIso, formatHead, parseHead, parseHeadsFile, type AuditHead, type KeptHeadCheck } from '../../core/audit/kept-heads.ts';
import { txCommitsToHead } from '../../core/audit/anchor.ts';
import { assertAuditClean, currentAuditHead, verifyAuditAnchor, verifyAuditLog } from '../../app/verify-audit-log.ts';
import { withGovernance } from '../governance-deps.ts';
import { assertAnchorsHold, checkAuditAnchors } from '../../app/check-audit-anchors.ts';

/** A raw transaction is at most 4 MB; its hex twice that. */
const MAX_TX_FILE = 8 * 1024 * 1024 + 64;

function repeat(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function readText(file: string, what: string): string {
  try {
    if (statSync(file).size > 64 * 1024 * 1024) throw new DomainError('INVALID_ARGUMENT', `${file} is too large for a ${what}`);
    return readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof DomainError) throw e;
    throw new DomainError('INVALID_ARGUMENT', `cannot read ${what} ${file}`);
  }
}

/** The heads given with --head (repeatable) and --heads FILE (repeatable). */
function keptHeads(o: { head: string[]; heads: string[] }): AuditHead[] {
  return [...o.head.map((h) => parseHead(h)), ...o.heads.flatMap((f) => parseHeadsFile(readText(f, 'heads file'), f))];
}

/** `--tx`: the transaction's hex, or a file holding its hex or its raw bytes. */
function readTx(arg: string): Uint8Array {
  const hex = (t: string): Uint8Array | null => (/^(?:[0-9a-fA-F]{2})+$/.test(t) ? Uint8Array.from(Buffer.from(t, 'hex')) : null);
  const direct = hex(arg.trim());
  if (direct && !existsSync(arg)) return direct;
  let bytes: Buffer;
  try {
    if (statSync(arg).size > MAX_TX_FILE) throw new DomainError('INVALID_ARGUMENT', `${arg} is too large for a transaction`);
    bytes = readFileSync(arg);
  } catch (e) {
    if (e instanceof DomainError) throw e;
    throw new DomainError('INVALID_ARGUMENT', `--tx takes a raw transaction in hex or a file holding one; cannot read "${arg.length > 80 ? `${arg.slice(0, 80)}…` : arg}"`);
  }
  return hex(bytes.toString('latin1').trim()) ?? Uint8Array.from(bytes);
}

function entriesAfter(n: number): string {
  return `${n} entr${n === 1 ? 'y' : 'ies'}`;
}

function keptSummary(kept: readonly KeptHeadCheck[]): string {
  if (kept.length === 0) return '';
  const latest = kept.reduce((a, b) => (b.head.seq > a.head.seq ? b : a));
  const after = entriesAfter(latest.after ?? 0);
  if (kept.length === 1) return `\nit holds the head you kept at entry ${latest.head.seq}: ${after} came after it`;
  const first = kept.reduce((a, b) => (b.head.seq < a.head.seq ? b : a));
  return `\nit holds all ${kept.length} heads you kept (entries ${first.head.seq} to ${latest.head.seq}): ${after} came after the latest`;
}

const wire = (k: KeptHeadCheck): { seq: number; hash: string; ok: boolean; after: number | null; message: string | null } => ({ seq: k.head.seq, hash: k.head.hash, ok: k.ok, after: k.after, message: k.problem?.message ?? null });

export function register(program: Command): void {
  const audit = program.command('audit').description('the append-only, hash-chained audit log of every governance action');
  audit
    .command('verify')
    .description('recompute the hash chain and check it holds the heads you kept; exit code 10 (AUDIT_TAMPERED) naming every edited, reordered, deleted, inserted, cut or rewritten entry')
    .option('--head <SEQ:HASH>', 'a head kept elsewhere (from "soberana audit head" or /api/v1/public/audit-head): the log must hold that entry with that hash (repeatable)', repeat, [])
    .option('--heads <file>', 'a file of kept heads, one SEQ:HASH a line (repeatable)', repeat, [])
    .addHelpText('after', '\nExamples:\n  $ soberana audit verify\n  $ soberana audit verify --head 221:3fa9…c2\n  $ soberana audit verify --heads heads.txt --json')
    .action(action(async (ctx, o: { head: string[]; heads: string[] }) => {
      const heads = keptHeads(o);
      const v = await withGovernance(ctx, {}, (deps) => verifyAuditLog(deps, { keptHeads: heads }));
      assertAuditClean(v);
      ctx.out(
        { ok: v.ok, entries: v.entries, head: v.head, problems: v.problems, kept: v.kept.map(wire) },
        `audit log intact: ${v.entries} entries${v.head ? `, head ${v.head.seq} ${v.head.hash}` : ''}${keptSummary(v.kept)}`,
      );
    }));
  audit
    .command('head')
    .description('print the log\'s head as SEQ:HASH, after verifying the chain, to keep elsewhere (refused, exit code 10, for a log that does not verify)')
    .addHelpText('after', '\nExamples:\n  $ soberana audit head >> heads.txt\n  $ soberana audit head --json')
    .action(action(async (ctx) => {
      const h = await withGovernance(ctx, {}, (deps) => currentAuditHead(deps));
      ctx.out({ seq: h.seq, hash: h.hash, at: auditTimeIso(h.atMs), entries: h.entries }, formatHead(h));
    }));
  audit
    .command('anchor-check')
    .description('check that a Bitcoin transaction commits to an audit log head (its OP_RETURN anchor); without --head, to this database\'s log')
    .requiredOption('--tx <hex|file>', 'the raw transaction: hex, or a file holding its hex or bytes')
    .option('--head <SEQ:HASH>', 'the head to look for (needs no database); default: the entry the transaction names, in this database\'s log, which must verify')
    .addHelpText('after', '\nExamples:\n  $ soberana audit anchor-check --tx "$(bitcoin-cli getrawtransaction <txid>)" --head 221:3fa9…c2\n  $ soberana audit anchor-check --tx tx.hex')
    .action(action(async (ctx, o: { tx: string; head?: string }) => {
      const raw = readTx(o.tx);
      const mined = (txid: string, seq: number): string =>
        `once it is mined, entries 1 to ${seq} provably existed as they are before its block; see when on your own node: bitcoin-cli getrawtransaction ${txid} 1 <block hash>`;
      if (o.head !== undefined) {
        const head = parseHead(o.head);
        const c = txCommitsToHead(raw, head);
        if (c.vout === null) {
          if (c.anchors.some((a) => a.seq === head.seq)) {
            throw new DomainError('AUDIT_TAMPERED', `transaction ${c.txid} anchors entry ${head.seq}, but not with hash ${head.hash}: the head you gave is not the one it committed to, so the log it came from was rewritten (or the head was mistyped)`);
          }
          throw new DomainError('NOT_FOUND', c.anchors.length === 0
            ? `transaction ${c.txid} carries no audit log anchor (an OP_RETURN output starting "SBA1")`
            : `transaction ${c.txid} anchors entr${c.anchors.length === 1 ? 'y' : 'ies'} ${c.anchors.map((a) => a.seq).join(', ')}, not ${head.seq}`);
        }
        ctx.out({ txid: c.txid, vout: c.vout, head: { seq: head.seq, hash: head.hash }, commits: true },
          `transaction ${c.txid} commits to the audit log head ${formatHead(head)} in output ${c.vout}\n${mined(c.txid, head.seq)}`);
        return;
      }
      const r = await withGovernance(ctx, {}, (deps) => verifyAuditAnchor(deps, raw));
      const after = r.verdict.kept[0]?.after ?? 0;
      ctx.out({ txid: r.txid, vout: r.vout, head: r.head, commits: true, entries: r.verdict.entries, after },
        `transaction ${r.txid} commits to entry ${r.head.seq} of this audit log (hash ${r.head.hash}) in output ${r.vout}, and the log verifies against it: ${entriesAfter(after)} came after it\n${mined(r.txid, r.head.seq)}`);
    }));
  audit
    .command('anchors')
    .description('list the audit anchors in the vaults\' confirmed spends (run "soberana sync" first) and check each against this log: the entry it names must still have the hash it committed to; exit code 10 (AUDIT_TAMPERED) naming the transaction and entry when not')
    .addHelpText('after', '\nExamples:\n  $ soberana sync && soberana audit anchors\n  $ soberana audit anchors --json')
    .action(action(async (ctx) => {
      const r = await withGovernance(ctx, {}, (deps) => checkAuditAnchors(deps));
      assertAnchorsHold(r);
      const wireAnchor = (a: (typeof r.anchors)[number]) => ({ vault: a.vaultId, txid: a.txid, height: a.height, blockTime: a.blockTime, vout: a.vout, seq: a.seq, hash: a.head?.hash ?? null, commitment: a.commitment, ok: a.ok });
      const lines = r.anchors.map((a) => `block ${a.height}  ${a.txid}:${a.vout}  entry ${a.seq}  ${a.head?.hash ?? ''}  ok`);
      const latest = r.anchors.reduce<number>((m, a) => (a.seq > m ? a.seq : m), 0);
      ctx.out(
        { ok: r.ok, entries: r.verdict.entries, anchors: r.anchors.map(wireAnchor) },
        r.anchors.length === 0
          ? `no audit anchors in the vaults' confirmed spends yet (audit log intact: ${entriesAfter(r.verdict.entries)})`
          : `${lines.join('\n')}\n${r.anchors.length} anchor${r.anchors.length === 1 ? '' : 's'} in Bitcoin, all held by this log, which verifies against them: entries 1 to ${latest} provably existed as they are before the block that anchored them`,
      );
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
