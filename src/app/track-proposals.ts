/**
 * Follow proposals on the chain, from what sync stored (run by `sync` after each vault, never by a
 * read). The chain wins over what Soberana recorded:
 * - a proposal's transaction in a block → `confirmed`; in the mempool → `broadcast` (also when
 *   Soberana never broadcast it: someone did, and that is an alert);
 * - a `confirmed` proposal whose block was reorged out → `broadcast` again (alert);
 * - its coins spent by another confirmed transaction → `replaced` when that is our own bump,
 *   otherwise `conflicted` (alert);
 * - a `broadcasting` proposal (the process died between asking the node and recording the answer)
 *   that the node does not have → back to `signed`, to be broadcast again.
 * Each move is one transaction with its audit entry (actor `system`).
 */
import { trackedTarget, type ChainFacts } from '../core/spend/state-machine.ts';
import type { SpendProposal, SpendState } from '../core/spend/types.ts';
import { atomically, type GovernanceDeps } from './governance.ts';

/** How long a `broadcasting` proposal may wait for its broadcaster before sync settles it. */
export const BROADCAST_GRACE_MS = 60_000;

export interface TrackedChange {
  readonly proposalId: number;
  readonly txid: string;
  readonly from: SpendState;
  readonly to: SpendState;
  /** Plain words for the operator when this needs a person's attention; null otherwise. */
  readonly alert: string | null;
}

function alertFor(p: SpendProposal, to: SpendState, txid: string, facts: ChainFacts): string | null {
  if (p.state === 'confirmed' && to !== 'confirmed') {
    return `proposal ${p.id}: transaction ${txid} left the chain in a reorg${to === 'conflicted' ? ` and a conflicting transaction ${facts.spentByConfirmed?.txid ?? ''} confirmed instead` : '; it is unconfirmed again'}`;
  }
  if (to === 'conflicted') return `proposal ${p.id}: its coins were spent by transaction ${facts.spentByConfirmed?.txid ?? '?'}, which is not this proposal's`;
  if ((to === 'broadcast' || to === 'confirmed') && ['proposed', 'approved', 'signed', 'cancelled'].includes(p.state)) {
    return `proposal ${p.id} (${p.state}): its transaction ${txid} is on the network although Soberana did not broadcast it`;
  }
  return null;
}

const ACTIONS: Partial<Record<SpendState, string>> = { confirmed: 'spend.confirmed', broadcast: 'spend.seen', replaced: 'spend.replaced', conflicted: 'spend.conflicted', signed: 'spend.broadcast.not-found' };

/** Returns the moves made (with alerts where a person should look). */
export async function trackProposals(deps: GovernanceDeps, input: { vaultId?: string | undefined } = {}): Promise<TrackedChange[]> {
  const nowMs = deps.now();
  return atomically(deps, async (tx) => {
    const changes: TrackedChange[] = [];
    const all = await tx.spends.proposals(input.vaultId);
    const byTxid = new Map<string, SpendProposal>(all.map((p) => [p.txid ?? p.unsignedTxid, p]));
    const vaultIds = [...new Set(all.map((p) => p.vaultId))];
    for (const vaultId of vaultIds) {
      const txs = new Map((await tx.vaults.transactions(vaultId)).map((t) => [t.txid, t]));
      const txos = new Map((await tx.vaults.allTxos(vaultId)).map((t) => [`${t.txid}:${t.vout}`, t]));
      for (const p of all.filter((x) => x.vaultId === vaultId && x.unsignedTxid !== '')) {
        const txid = p.txid ?? p.unsignedTxid; // segwit: the txid does not change when signed
        const seen = txs.get(txid);
        let spentByConfirmed: ChainFacts['spentByConfirmed'] = null;
        for (const i of p.inputs) {
          const t = txos.get(`${i.txid}:${i.vout}`);
          if (t && t.spentTxid !== null && t.spentHeight !== null && t.spentTxid !== txid) {
            const winner = byTxid.get(t.spentTxid);
            spentByConfirmed = { txid: t.spentTxid, ourReplacement: winner !== undefined && winner.id !== p.id };
            break;
          }
        }
        const facts: ChainFacts = { confirmed: seen !== undefined && seen.height !== null, inMempool: seen !== undefined && seen.height === null, spentByConfirmed };
        const to = trackedTarget(p.state, facts, nowMs - p.updatedAtMs >= BROADCAST_GRACE_MS);
        if (to === null) continue;
        const alert = alertFor(p, to, txid, facts);
        const winner = spentByConfirmed ? byTxid.get(spentByConfirmed.txid) : undefined;
        const details = {
          txid, from: p.state, height: seen?.height ?? null, blockHash: seen?.blockHash ?? null,
          ...(spentByConfirmed ? { confirmedInstead: spentByConfirmed.txid } : {}), ...(alert ? { alert } : {}),
        };
        const update = {
          state: to,
          ...(to === 'replaced' && winner ? { replacedBy: winner.id } : {}),
          ...(p.txid === null && (to === 'broadcast' || to === 'confirmed') && seen ? { txid, finalHex: seen.rawHex } : {}),
        };
        const action = p.state === 'confirmed' && to === 'broadcast' ? 'spend.reorged' : (ACTIONS[to] ?? `spend.${to}`);
        await tx.spends.updateProposal(p.id, p.state, update, { actor: 'system', role: 'system', action, object: `proposal:${p.id}`, details, atMs: nowMs }, nowMs);
        changes.push({ proposalId: p.id, txid, from: p.state, to, alert });
      }
    }
    return changes;
  });
}
