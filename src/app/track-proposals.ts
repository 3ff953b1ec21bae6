/**
 * Follow broadcast proposals into history, from what sync stored: a proposal whose transaction is
 * in a block becomes `confirmed`; one whose coins a different confirmed transaction spent becomes
 * `replaced` (a bump or another spend won). Audited as the `system` actor.
 */
import type { SpendProposal } from '../core/spend/types.ts';
import type { GovernanceDeps } from './governance.ts';

/** Returns the proposals whose state changed. */
export async function trackProposals(deps: GovernanceDeps, input: { vaultId?: string | undefined } = {}): Promise<SpendProposal[]> {
  const changed: SpendProposal[] = [];
  const live = (await deps.spends.proposals(input.vaultId)).filter((p) => p.state === 'broadcast');
  const byTxid = new Map((await deps.spends.proposals(input.vaultId)).filter((p) => p.txid !== null).map((p) => [p.txid as string, p]));
  for (const p of live) {
    const txs = await deps.vaults.transactions(p.vaultId);
    const nowMs = deps.now();
    const mine = txs.find((t) => t.txid === p.txid);
    const system = { id: 'system' };
    if (mine && mine.height !== null) {
      await deps.spends.updateProposal(p.id, 'broadcast', { state: 'confirmed' }, { actor: system.id, role: 'system', action: 'spend.confirmed', object: `proposal:${p.id}`, details: { txid: p.txid, height: mine.height, blockHash: mine.blockHash }, atMs: nowMs }, nowMs);
      changed.push(p);
      continue;
    }
    const txos = await deps.vaults.allTxos(p.vaultId);
    const spender = p.inputs
      .map((i) => txos.find((t) => t.txid === i.txid && t.vout === i.vout))
      .find((t) => t !== undefined && t.spentTxid !== null && t.spentHeight !== null && t.spentTxid !== p.txid);
    if (spender?.spentTxid) {
      const winner = byTxid.get(spender.spentTxid);
      await deps.spends.updateProposal(p.id, 'broadcast', { state: 'replaced', ...(winner ? { replacedBy: winner.id } : {}) }, { actor: system.id, role: 'system', action: 'spend.replaced', object: `proposal:${p.id}`, details: { txid: p.txid, confirmedInstead: spender.spentTxid }, atMs: nowMs }, nowMs);
      changed.push(p);
    }
  }
  return changed;
}
