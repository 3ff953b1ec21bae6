/**
 * Child pays for parent: a new proposal (kind `cpfp`, `parent` set) spending the change output of a
 * broadcast proposal back to a fresh change address of the vault, with a fee that brings the
 * package (parent + child) up to the requested rate. It pays no one: the policy sees an amount of 0.
 */
import { Transaction } from 'bitcoinjs-lib';
import { hex } from '@scure/base';
import { DomainError } from '../core/errors.ts';
import { sats } from '../core/money.ts';
import { vaultOutput } from '../core/bitcoin/psbt.ts';
import { ceilDiv, txWeight, vsizeFromWeight } from '../core/coinselect/tx-size.ts';
import { assertFeeWithinCap, dustLimitForScript } from '../core/spend/safety-nets.ts';
import type { PolicyDecision } from '../core/policy/types.ts';
import type { SpendProposal } from '../core/spend/types.ts';
import { atomically, decideSpend, priceAt, requireActor, requirePolicy, requireProposal, requireVaultOf, type GovernanceDeps } from './governance.ts';
import { buildPsbt, heldOutpoints, recordProposal, reserveChangeIndex, vaultSpendShape } from './propose-spend.ts';

/**
 * @throws FORBIDDEN, PROPOSAL_NOT_FOUND, INVALID_STATE (parent not broadcast, change already spent by a live proposal),
 *   INSUFFICIENT_FUNDS (change too small), FEE_TOO_HIGH, POLICY_DENIED
 * @example await cpfpFromChange(deps, { actor: 'luis', proposalId: 3, feeRateSatPerKvb: 30_000n })
 */
export async function cpfpFromChange(deps: GovernanceDeps, input: { actor: string | undefined; proposalId: number; feeRateSatPerKvb: bigint; force?: boolean | undefined }): Promise<{ proposal: SpendProposal; decision: PolicyDecision }> {
  const nowMs = deps.now();
  const price = await priceAt(deps, nowMs);
  return atomically(deps, async (tx) => {
    const actor = await requireActor(tx.spends, input.actor, 'operator');
    const parent = await requireProposal(tx.spends, input.proposalId);
    if (parent.state !== 'broadcast' || parent.finalHex === null || parent.txid === null) throw new DomainError('INVALID_STATE', `proposal ${parent.id} is ${parent.state}: only a broadcast, unconfirmed transaction can be pulled by a child`);
    if (parent.changeIndex === null) throw new DomainError('INSUFFICIENT_FUNDS', `proposal ${parent.id} has no change output to spend`);
    const vault = await requireVaultOf(tx.vaults, parent.vaultId);
    const policy = await requirePolicy(tx.spends);
    const { inputWeight, changeScript } = vaultSpendShape(vault);
    const parentTx = Transaction.fromHex(parent.finalHex);
    const script = hex.encode(vaultOutput(vault.descriptor as string, vault.network, 1, parent.changeIndex).getScriptPubKey());
    const vout = parentTx.outs.findIndex((o) => hex.encode(o.script) === script);
    const out = parentTx.outs[vout];
    if (!out) throw new DomainError('MALFORMED_DATA', `proposal ${parent.id}'s transaction has no output to change index ${parent.changeIndex}`);
    if ((await heldOutpoints(tx, vault.id)).has(`${parent.txid}:${vout}`)) throw new DomainError('INVALID_STATE', `the change of proposal ${parent.id} is already spent by another live proposal`);
    const childWeight = txWeight([inputWeight], [changeScript.length]);
    const packageVsize = BigInt(parentTx.virtualSize() + vsizeFromWeight(childWeight));
    const fee = ceilDiv(packageVsize * input.feeRateSatPerKvb, 1000n) - parent.feeSats;
    const childFloor = ceilDiv(BigInt(vsizeFromWeight(childWeight)) * input.feeRateSatPerKvb, 1000n);
    const childFee = fee > childFloor ? fee : childFloor;
    const value = out.value - childFee;
    if (value < dustLimitForScript(changeScript)) throw new DomainError('INSUFFICIENT_FUNDS', `the change of ${out.value} sats cannot pay a child fee of ${childFee} sats and stay above dust`);
    assertFeeWithinCap(childFee, out.value, input.force === true);
    const decision = await decideSpend(tx, policy, { vaultId: vault.id, proposer: actor, outputs: [], totalSats: 0n, exclude: [] }, nowMs, price);
    const inputs = [{ txid: parent.txid, vout, value: sats(out.value, 'change value'), branch: 1 as const, index: parent.changeIndex }];
    if (decision.outcome === 'deny') {
      await recordProposal(tx, actor, vault, { kind: 'cpfp', outputs: [], built: { inputs, changeSats: value, changeIndex: null, feeSats: childFee, psbt: '', unsignedTxid: '' }, feeRate: input.feeRateSatPerKvb, memo: null, replaces: null, parent: parent.id, amount: 0n }, decision, nowMs);
    }
    const changeIndex = await reserveChangeIndex(tx, vault);
    const { psbt, unsignedTxid } = buildPsbt(vault, inputs, [], { sats: value, index: changeIndex });
    const proposal = await recordProposal(
      tx, actor, vault,
      { kind: 'cpfp', outputs: [], built: { inputs, changeSats: value, changeIndex, feeSats: childFee, psbt, unsignedTxid }, feeRate: input.feeRateSatPerKvb, memo: `CPFP for proposal ${parent.id}`, replaces: null, parent: parent.id, amount: 0n },
      decision, nowMs,
    );
    return { proposal, decision };
  });
}
