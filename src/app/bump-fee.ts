/**
 * Replace a broadcast proposal's transaction with one paying a higher fee (BIP125 RBF): the same
 * inputs and payments, the extra fee taken from the change. It is a NEW proposal (kind `bump`,
 * `replaces` the original) that goes through the policy, approvals and a new signing round; when it
 * is broadcast, the original becomes `replaced`.
 *
 * The bump keeps the original's audit anchor output, byte for byte (the same head, not the head of
 * today): it stands in for the same transaction, and whichever of the two is mined proves the same
 * thing. Its weight counts in the new fee.
 */
import { DomainError } from '../core/errors.ts';
import { addressToScript } from '../core/bitcoin/address.ts';
import { feeForWeight, txWeight, vsizeFromWeight } from '../core/coinselect/tx-size.ts';
import { assertFeeWithinCap, dustLimitForScript, formatFeeRate } from '../core/spend/safety-nets.ts';
import type { PolicyDecision } from '../core/policy/types.ts';
import type { SpendProposal } from '../core/spend/types.ts';
import { atomically, decideSpend, priceAt, requireActor, requirePolicy, requireProposal, requireVaultOf, type GovernanceDeps } from './governance.ts';
import { anchorCommitsTo } from '../core/audit/anchor.ts';
import type { AuditHead } from '../core/audit/kept-heads.ts';
import { anchorOfPsbt, buildPsbt, recordProposal, vaultSpendShape } from './propose-spend.ts';

/**
 * @throws FORBIDDEN, PROPOSAL_NOT_FOUND, INVALID_STATE (not broadcast, or already replaced),
 *   INVALID_ARGUMENT (rate not higher), INSUFFICIENT_FUNDS (no change to pay from), FEE_TOO_HIGH, POLICY_DENIED,
 *   AUDIT_TAMPERED (the log no longer holds the head the original anchored)
 * @example await bumpFee(deps, { actor: 'luis', proposalId: 3, feeRateSatPerKvb: 20_000n })
 */
export async function bumpFee(deps: GovernanceDeps, input: { actor: string | undefined; proposalId: number; feeRateSatPerKvb: bigint; force?: boolean | undefined }): Promise<{ proposal: SpendProposal; decision: PolicyDecision }> {
  const nowMs = deps.now();
  const price = await priceAt(deps, nowMs);
  return atomically(deps, async (tx) => {
    const actor = await requireActor(tx.spends, input.actor, 'operator');
    const old = await requireProposal(tx.spends, input.proposalId);
    if (old.state !== 'broadcast') throw new DomainError('INVALID_STATE', `proposal ${old.id} is ${old.state}: only a broadcast, unconfirmed proposal can be bumped`);
    const pending = (await tx.spends.proposals(old.vaultId)).find((p) => p.replaces === old.id && ['proposed', 'approved', 'signed', 'broadcasting'].includes(p.state));
    if (pending) throw new DomainError('INVALID_STATE', `proposal ${pending.id} already bumps proposal ${old.id}; cancel it first`);
    if (input.feeRateSatPerKvb <= old.feeRateSatPerKvb) {
      throw new DomainError('INVALID_ARGUMENT', `the new fee rate ${formatFeeRate(input.feeRateSatPerKvb)} sat/vB must be above the current ${formatFeeRate(old.feeRateSatPerKvb)} sat/vB`);
    }
    if (old.changeIndex === null || old.changeSats === 0n) throw new DomainError('INSUFFICIENT_FUNDS', `proposal ${old.id} has no change output to take a higher fee from (use "spend cpfp" on a transaction with change)`);
    const vault = await requireVaultOf(tx.vaults, old.vaultId);
    const policy = await requirePolicy(tx.spends);
    const { inputWeight, changeScript } = vaultSpendShape(vault);
    const anchor = anchorOfPsbt(old.psbt, vault.network);
    const weight = txWeight(old.inputs.map(() => inputWeight), [...old.outputs.map((o) => addressToScript(o.address, vault.network).length), changeScript.length, ...(anchor ? [anchor.script.length] : [])]);
    // BIP125 rule 4: pay at least the original fee plus the relay minimum (1 sat/vB) for the replacement.
    const atRate = feeForWeight(weight, input.feeRateSatPerKvb);
    const minimum = old.feeSats + BigInt(vsizeFromWeight(weight));
    const fee = atRate > minimum ? atRate : minimum;
    const change = old.changeSats - (fee - old.feeSats);
    const dust = dustLimitForScript(changeScript);
    if (change < dust) throw new DomainError('INSUFFICIENT_FUNDS', `the change of proposal ${old.id} (${old.changeSats} sats) cannot pay a fee of ${fee} sats and stay above dust`);
    assertFeeWithinCap(fee, old.amountSats, input.force === true);
    const decision = await decideSpend(tx, policy, { vaultId: vault.id, proposer: actor, outputs: old.outputs, totalSats: old.amountSats, exclude: [old.id] }, nowMs, price);
    let head: AuditHead | null = null;
    if (anchor) {
      const entry = (await tx.spends.auditLog()).find((e) => e.seq === anchor.seq);
      if (!entry || !anchorCommitsTo(anchor, { seq: entry.seq, hash: entry.hash })) {
        throw new DomainError('AUDIT_TAMPERED', `proposal ${old.id}'s transaction anchors audit entry ${anchor.seq}, but the log no longer holds the entry it committed to: run "soberana audit verify" and "soberana audit anchors"`);
      }
      head = { seq: entry.seq, hash: entry.hash };
    }
    const { psbt, unsignedTxid } = buildPsbt(vault, old.inputs, old.outputs, { sats: change, index: old.changeIndex }, anchor?.script ?? null);
    const proposal = await recordProposal(
      tx, actor, vault,
      { kind: 'bump', outputs: [...old.outputs], built: { inputs: [...old.inputs], changeSats: change, changeIndex: old.changeIndex, feeSats: fee, psbt, unsignedTxid }, feeRate: input.feeRateSatPerKvb, memo: old.memo, replaces: old.id, parent: null, amount: old.amountSats, anchor: head },
      decision, nowMs,
    );
    return { proposal, decision };
  });
}
