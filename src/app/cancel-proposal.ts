/**
 * Cancel a proposal. While no signature can exist (proposed, or approved but never exported for
 * signing) cancelling is a state change and its coins become available again. Once the PSBT has
 * left for the signers — approved and exported, or signed — signatures may exist outside Soberana
 * and a flag would be a lie: the only real cancellation is to spend one of its coins back to the
 * vault (`replace`), a new proposal of kind `cancel` that goes through the policy, approvals and a
 * signing round like any spend; once that transaction confirms, sync marks the original
 * `conflicted`. (A broadcast transaction is replaced with `spend bump` instead.)
 */
import { DomainError } from '../core/errors.ts';
import { feeForWeight, txWeight, vsizeFromWeight } from '../core/coinselect/tx-size.ts';
import { assertFeeWithinCap, dustLimitForScript, formatFeeRate } from '../core/spend/safety-nets.ts';
import { assertTransition, LIVE_STATES } from '../core/spend/state-machine.ts';
import type { PolicyDecision } from '../core/policy/types.ts';
import type { SpendProposal } from '../core/spend/types.ts';
import { atomically, auditOf, decideSpend, priceAt, requireActor, requirePolicy, requireProposal, requireVaultOf, type GovernanceDeps } from './governance.ts';
import { buildPsbt, currentAnchor, recordProposal, reserveChangeIndex, vaultSpendShape } from './propose-spend.ts';

/** May signatures for this proposal exist outside Soberana? */
export function maySignaturesExist(p: SpendProposal): boolean {
  return p.state === 'signed' || (p.state === 'approved' && p.exportedAtMs !== null);
}

/**
 * @throws FORBIDDEN, PROPOSAL_NOT_FOUND, INVALID_STATE (broadcast or finished; or signatures may exist:
 *   the message says to cancel by replacement)
 * @example await cancelProposal(deps, { actor: 'luis', proposalId: 3, reason: 'wrong amount' })
 */
export async function cancelProposal(deps: GovernanceDeps, input: { actor: string | undefined; proposalId: number; reason?: string | undefined }): Promise<void> {
  await atomically(deps, async (tx) => {
    const actor = await requireActor(tx.spends, input.actor, 'operator');
    const p = await requireProposal(tx.spends, input.proposalId);
    assertTransition(p.id, p.state, 'cancelled');
    if (maySignaturesExist(p)) {
      throw new DomainError('INVALID_STATE', `proposal ${p.id} went out for signing: signatures may exist, so it cannot be cancelled by a flag. Cancel it by replacement: "soberana spend cancel ${p.id} --replace --fee-rate S/VB" spends one of its coins back to the vault`);
    }
    const nowMs = tx.now();
    await tx.spends.updateProposal(p.id, p.state, { state: 'cancelled' }, auditOf(actor, 'operator', 'spend.cancel', `proposal:${p.id}`, { from: p.state, reason: input.reason ?? null }, nowMs), nowMs);
  });
}

/**
 * Cancel by replacement: a new proposal (kind `cancel`, `replaces` the original, holding the same
 * coin) that spends the original's largest coin back to a fresh change address of the vault, paying
 * at least the original's fee plus the relay minimum (so it also replaces the original if that was
 * broadcast meanwhile, BIP125 rule 4). It carries the audit log's head as it is now (not the
 * original's), like any new governed transaction; `auditAnchor: false` leaves it out.
 * @throws FORBIDDEN, PROPOSAL_NOT_FOUND, INVALID_STATE (nothing to replace: cancel it plainly, or it is finished),
 *   INSUFFICIENT_FUNDS (the coin cannot pay the fee), FEE_TOO_HIGH, POLICY_DENIED
 * @example await cancelByReplacement(deps, { actor: 'luis', proposalId: 3, feeRateSatPerKvb: 5_000n })
 */
export async function cancelByReplacement(deps: GovernanceDeps, input: { actor: string | undefined; proposalId: number; feeRateSatPerKvb: bigint; reason?: string | undefined; force?: boolean | undefined; auditAnchor?: boolean | undefined }): Promise<{ proposal: SpendProposal; decision: PolicyDecision }> {
  const nowMs = deps.now();
  const price = await priceAt(deps, nowMs);
  return atomically(deps, async (tx) => {
    const actor = await requireActor(tx.spends, input.actor, 'operator');
    const old = await requireProposal(tx.spends, input.proposalId);
    if (!maySignaturesExist(old)) {
      throw new DomainError('INVALID_STATE', old.state === 'proposed' || old.state === 'approved'
        ? `proposal ${old.id} never went out for signing: cancel it plainly ("soberana spend cancel ${old.id}")`
        : `proposal ${old.id} is ${old.state}: ${old.state === 'broadcast' || old.state === 'broadcasting' ? 'replace a broadcast transaction with "soberana spend bump"' : 'nothing to cancel'}`);
    }
    const pending = (await tx.spends.proposals(old.vaultId)).find((p) => p.replaces === old.id && p.kind === 'cancel' && LIVE_STATES.includes(p.state));
    if (pending) throw new DomainError('INVALID_STATE', `proposal ${pending.id} already cancels proposal ${old.id}`);
    const coin = [...old.inputs].sort((a, b) => (b.value > a.value ? 1 : b.value < a.value ? -1 : 0))[0];
    if (!coin) throw new DomainError('MALFORMED_DATA', `proposal ${old.id} has no inputs`);
    const vault = await requireVaultOf(tx.vaults, old.vaultId);
    const policy = await requirePolicy(tx.spends);
    const { inputWeight, changeScript } = vaultSpendShape(vault);
    const anchor = await currentAnchor(tx, input.auditAnchor !== false);
    const weight = txWeight([inputWeight], [changeScript.length, ...(anchor ? [anchor.script.length] : [])]);
    const atRate = feeForWeight(weight, input.feeRateSatPerKvb);
    const minimum = old.feeSats + BigInt(vsizeFromWeight(weight));
    const fee = atRate > minimum ? atRate : minimum;
    const value = coin.value - fee;
    if (value < dustLimitForScript(changeScript)) throw new DomainError('INSUFFICIENT_FUNDS', `coin ${coin.txid}:${coin.vout} (${coin.value} sats) cannot pay a fee of ${fee} sats (at ${formatFeeRate(input.feeRateSatPerKvb)} sat/vB, and above the original's) and stay above dust`);
    assertFeeWithinCap(fee, coin.value, input.force === true);
    const decision = await decideSpend(tx, policy, { vaultId: vault.id, proposer: actor, outputs: [], totalSats: 0n, exclude: [old.id] }, nowMs, price);
    const inputs = [coin];
    if (decision.outcome === 'deny') {
      await recordProposal(tx, actor, vault, { kind: 'cancel', outputs: [], built: { inputs, changeSats: value, changeIndex: null, feeSats: fee, psbt: '', unsignedTxid: '' }, feeRate: input.feeRateSatPerKvb, memo: null, replaces: old.id, parent: null, amount: 0n, anchor: anchor?.head ?? null }, decision, nowMs);
    }
    const changeIndex = await reserveChangeIndex(tx, vault);
    const { psbt, unsignedTxid } = buildPsbt(vault, inputs, [], { sats: value, index: changeIndex }, anchor?.script ?? null);
    const memo = `cancels proposal ${old.id}${input.reason ? `: ${input.reason}` : ''}`.slice(0, 500);
    const proposal = await recordProposal(
      tx, actor, vault,
      { kind: 'cancel', outputs: [], built: { inputs, changeSats: value, changeIndex, feeSats: fee, psbt, unsignedTxid }, feeRate: input.feeRateSatPerKvb, memo, replaces: old.id, parent: null, amount: 0n, anchor: anchor?.head ?? null },
      decision, nowMs,
    );
    return { proposal, decision };
  });
}
