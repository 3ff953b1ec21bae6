/**
 * The quarterly statement (issue #15 item 4): built from the synced history and the register
 * (core/compliance/statement.ts), its SHA-256 recorded in the audit log (`compliance.statement`)
 * so that a copy edited later no longer matches an entry. With a proof store (`deps.proofs`) it refers
 * to the proofs of reserves published in the quarter (or the latest before its end): id, block,
 * total proven and the SHA-256 of the proof file.
 */
import { sha256 as sha256Of } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { buildStatement, parseQuarter, statementHash, type ProofReference, type Statement } from '../../core/compliance/statement.ts';
import { commitmentsInForce, evaluateCommitments } from '../../core/compliance/commitments.ts';
import { dayOfTime } from '../../core/compliance/types.ts';
import type { VaultStore } from '../../core/vault/vault-store.ts';
import { registerHistory, type Actor, type ComplianceDeps } from './flows.ts';

/** Each vault's confirmed balance at the end of a day, from its txos and its transactions' block times. */
async function balancesAt(vaults: VaultStore, ids: readonly string[]): Promise<(vaultId: string, day: string) => bigint> {
  const data = new Map<string, { txos: Awaited<ReturnType<VaultStore['allTxos']>>; days: Map<string, string | null> }>();
  for (const id of ids) {
    const days = new Map((await vaults.transactions(id)).map((t) => [t.txid, t.blockTime === null || t.height === null ? null : dayOfTime(t.blockTime)]));
    data.set(id, { txos: await vaults.allTxos(id), days });
  }
  return (vaultId, day) => {
    const d = data.get(vaultId);
    if (!d) throw new RangeError(`balancesAt: vault ${vaultId} was not loaded`);
    let sum = 0n;
    for (const o of d.txos) {
      const made = d.days.get(o.txid) ?? null;
      if (made === null || made > day) continue;
      const spent = o.spentTxid === null || o.spentHeight === null ? null : (d.days.get(o.spentTxid) ?? null);
      if (spent === null || spent > day) sum += o.value;
    }
    return sum;
  };
}

/** Every published proof of reserves, as a statement refers to it (the file's SHA-256 over its exact text). */
async function publishedProofs(proofs: NonNullable<ComplianceDeps['proofs']>): Promise<ProofReference[]> {
  return (await proofs.rounds()).flatMap((r) => (r.publishedAtMs === null ? [] : [{
    id: r.id, publishedOn: dayOfTime(Math.floor(r.publishedAtMs / 1000)), height: r.height, blockHash: r.blockHash, totalSats: r.totalSats, vaultIds: [...r.vaultIds],
    fileSha256: r.proofFile === null ? null : bytesToHex(sha256Of(utf8ToBytes(r.proofFile))),
  }]));
}

/**
 * Build the statement of `quarterText` (e.g. "2025Q3") and record its hash (with `format`).
 * @throws INVALID_ARGUMENT (the quarter)
 * @example const { statement, sha256 } = await makeStatement(deps, { actor: 'irene', role: 'auditor' }, '2025Q3', 'json')
 */
export async function makeStatement(deps: ComplianceDeps, by: Actor, quarterText: string, format: 'json' | 'csv' | 'pdf' | 'text'): Promise<{ statement: Statement; sha256: string }> {
  const quarter = parseQuarter(quarterText);
  const { register, vaults, flows } = await registerHistory(deps);
  const confirmed = flows.filter((f) => f.date !== null);
  const commitments = commitmentsInForce((await deps.compliance.commitments()).map((c) => c.commitment));
  const statement = buildStatement({
    quarter,
    register: [...register.values()],
    wallets: new Map([...vaults.values()].map((v) => [v.id, { name: v.name, watchOnly: v.kind === 'addresses' }])),
    balanceAt: await balancesAt(deps.vaults, [...register.keys()]),
    flows: confirmed,
    commitments,
    breaches: evaluateCommitments(commitments, confirmed),
    alerts: await deps.compliance.alerts(),
    proofs: deps.proofs === undefined ? null : await publishedProofs(deps.proofs),
  });
  const sha256 = statementHash(statement);
  await deps.compliance.appendAudit({
    actor: by.actor, role: by.role, action: 'compliance.statement', object: `statement:${quarter.label}`,
    details: { quarter: quarter.label, sha256, format, flows: statement.flows.length, reconciles: statement.reconciliation.reconciles, breaches: statement.breaches.length, proofs: statement.proofs?.map((p) => p.id) ?? null }, atMs: deps.now(),
  });
  return { statement, sha256 };
}
