/**
 * Propose a spend from a vault: coin selection (branch and bound for a changeless match, then the
 * waste-minimizing fallback; frozen coins and coins held by other live proposals left alone; coin
 * control honoured), an unsigned PSBT with every cosigner's BIP32 derivation (RBF signalled, change
 * on the change branch), the safety nets (network, dust, fee cap), and the policy decision. A deny
 * is refused (and audited); an allow is approved at once; otherwise approvals are awaited.
 *
 * The transaction also carries the audit log's head, read in the same governance transaction, in a
 * zero-value OP_RETURN output (`core/audit/anchor.ts`): once mined, its block proves the log existed
 * as it was up to that entry. The output pays nobody — the policy never sees it — but its weight is
 * in the coin selection, so the fee rate is the one asked for. `auditAnchor: false` leaves it out.
 */
import { DomainError } from '../core/errors.ts';
import { txid, vaultId, type ProposalId } from '../core/ids.ts';
import { sats } from '../core/money.ts';
import { addressToScript, paymentScript } from '../core/bitcoin/address.ts';
import { createPsbt, decodePsbt, multisigOf, unsignedTransaction, vaultOutput } from '../core/bitcoin/psbt.ts';
import { anchorInOutputs, auditAnchorScript } from '../core/audit/anchor.ts';
import type { AuditHead } from '../core/audit/kept-heads.ts';
import { compactSizeLength } from '../core/coinselect/tx-size.ts';
import { LONG_TERM_FEE_RATES, selectCoins, type Outpoint, type PaymentOutput } from '../core/coinselect/select-coins.ts';
import { assertFeeWithinCap, dustLimitForScript } from '../core/spend/safety-nets.ts';
import type { Member, ProposalInput, ProposalOutput, SpendKind, SpendProposal } from '../core/spend/types.ts';
import type { Network } from '../core/network.ts';
import type { Vault } from '../core/vault/types.ts';
import type { PolicyDecision } from '../core/policy/types.ts';
import { AuditedRefusal, atomically, auditOf, decideSpend, priceAt, requireActor, requirePolicy, requireVaultOf, type GovernanceDeps } from './governance.ts';

export interface ProposeSpendInput {
  readonly actor: string | undefined;
  readonly vault: string;
  readonly payments: readonly { address: string; sats: bigint }[];
  /** sat per 1000 vB; or give `targetBlocks` to ask the chain source. */
  readonly feeRateSatPerKvb?: bigint | undefined;
  readonly targetBlocks?: number | undefined;
  readonly memo?: string | undefined;
  /** Coin control: spend exactly these (plus more only if they do not suffice). */
  readonly utxos?: readonly Outpoint[] | undefined;
  /** Pay a fee above the cap. */
  readonly force?: boolean | undefined;
  /** Anchor the audit log's head in the transaction (an OP_RETURN output); default true. */
  readonly auditAnchor?: boolean | undefined;
}

export interface ProposeSpendResult {
  readonly proposal: SpendProposal;
  readonly decision: PolicyDecision;
  /** The audit log head the transaction anchors, or null (turned off, or an empty log). */
  readonly anchor: AuditHead | null;
}

/**
 * The long-term fee rate coin selection assumes: 0, i.e. pay the least fee now (see
 * docs/adr/0005-coin-selection-minimizes-fees.md); `LONG_TERM_FEE_RATES.consolidate` would spend
 * extra coins at low rates instead.
 */
export const LONG_TERM_FEE_RATE_KVB = LONG_TERM_FEE_RATES.minimizeFee;
/** Sane bounds for a node's estimate, sat per 1000 vB. */
const MIN_FEE_RATE_KVB = 1_000n;
const MAX_ESTIMATE_KVB = 500_000n;

/** Spend weight of one vault input, and the vault's change script. */
export function vaultSpendShape(vault: Vault): { inputWeight: number; changeScript: Uint8Array } {
  if (!vault.descriptor) throw new DomainError('INVALID_STATE', `vault ${vault.name} is a published address list (watch-only, no descriptor): it cannot propose spends`);
  const out = vaultOutput(vault.descriptor, vault.network, 0, 0);
  if (!out.isSegwit()) throw new DomainError('INVALID_DESCRIPTOR', `vault ${vault.name} is not segwit: spending legacy vaults is not supported yet`);
  return { inputWeight: inputWeightOf(out), changeScript: vaultOutput(vault.descriptor, vault.network, 1, 0).getScriptPubKey() };
}

/**
 * Worst-case weight of spending one vault output (72-byte signatures, as `tx-size.ts`): plain
 * (sorted)multisig in P2WSH or P2SH-P2WSH computed here from the witness script, anything else
 * (single key, miniscript) by @bitcoinerlab/descriptors.
 */
function inputWeightOf(out: ReturnType<typeof vaultOutput>): number {
  const ws = out.getWitnessScript();
  const ms = multisigOf(ws);
  if (ws && ms) {
    const witness = compactSizeLength(ms.m + 2) + 1 + ms.m * 73 + compactSizeLength(ws.length) + ws.length;
    const scriptSig = out.getRedeemScript() ? 1 + 1 + 34 : 1; // push of the 34-byte P2WSH program when wrapped
    return (36 + scriptSig + 4) * 4 + witness;
  }
  return out.inputWeight(true, 'DANGEROUSLY_USE_FAKE_SIGNATURES');
}

/** Every address of every vault → the vault id (to recognise transfers between our vaults). */
export async function ownAddresses(deps: GovernanceDeps): Promise<Map<string, string>> {
  const map = new Map<string, string>();
  for (const v of await deps.vaults.listVaults()) for (const a of await deps.vaults.addresses(v.id)) map.set(a.address, v.id);
  return map;
}

export async function resolveFeeRate(deps: GovernanceDeps, rate: bigint | undefined, targetBlocks: number | undefined): Promise<bigint> {
  if (rate !== undefined) return rate;
  const target = targetBlocks ?? 6;
  if (!Number.isSafeInteger(target) || target < 1 || target > 1008) throw new DomainError('INVALID_ARGUMENT', `--target-blocks must be 1..1008, got ${target}`);
  if (!deps.chain) throw new DomainError('INVALID_CONFIG', 'no chain source to estimate a fee rate: pass --fee-rate or configure a chain');
  const est = await deps.chain.estimateFeeRate(target);
  if (est === null) throw new DomainError('CHAIN_UNAVAILABLE', `the node has no fee estimate for ${target} blocks; pass --fee-rate S/VB`);
  const kvb = BigInt(Math.ceil(est * 1000));
  return kvb < MIN_FEE_RATE_KVB ? MIN_FEE_RATE_KVB : kvb > MAX_ESTIMATE_KVB ? MAX_ESTIMATE_KVB : kvb;
}

export function checkOutputs(payments: readonly { address: string; sats: bigint }[], network: Network, own: ReadonlyMap<string, string>): ProposalOutput[] {
  if (payments.length === 0) throw new DomainError('INVALID_ARGUMENT', 'a spend needs at least one output');
  return payments.map((p) => {
    const script = paymentScript(p.address, network); // INVALID_ADDRESS (also witness v2+: anyone can spend them today) / NETWORK_MISMATCH
    const dust = dustLimitForScript(script);
    if (p.sats < dust) throw new DomainError('DUST_OUTPUT', `the output of ${p.sats} sats to ${p.address} is below the dust limit of ${dust} sats`);
    const internalVault = own.get(p.address) ?? null;
    return { address: p.address, sats: sats(p.sats, 'output'), internal: internalVault !== null, internalVault };
  });
}

/** Outpoints held by live proposals of the vault (not offered again), from the coin-hold table. */
export async function heldOutpoints(deps: GovernanceDeps, vaultId: string): Promise<Set<string>> {
  return new Set((await deps.spends.coinHolds(vaultId)).map((h) => `${h.txid}:${h.vout}`));
}

export interface BuiltSpend {
  readonly inputs: ProposalInput[];
  readonly changeSats: bigint;
  readonly changeIndex: number | null;
  readonly feeSats: bigint;
  readonly psbt: string;
  readonly unsignedTxid: string;
}

/**
 * The unsigned PSBT: payments, then change, then (when given) the zero-value audit anchor output
 * `anchorScript` last — it pays nobody, so `createPsbt` (payments and change only) does not build it.
 */
export function buildPsbt(vault: Vault, inputs: readonly ProposalInput[], outputs: readonly ProposalOutput[], change: { sats: bigint; index: number } | null, anchorScript: Uint8Array | null = null): { psbt: string; unsignedTxid: string } {
  const base = createPsbt({
    network: vault.network,
    descriptor: vault.descriptor as string,
    rbf: true,
    inputs: inputs.map((i) => ({ txid: i.txid, vout: i.vout, value: i.value, change: i.branch === 1, index: i.index })),
    outputs: [...outputs.map((o) => ({ address: o.address, value: o.sats })), ...(change ? [{ change: true as const, index: change.index, value: change.sats }] : [])],
  });
  const psbt = decodePsbt(base, vault.network).psbt;
  if (anchorScript !== null) psbt.addOutput({ script: anchorScript, value: 0n });
  return { psbt: psbt.toBase64(), unsignedTxid: unsignedTransaction(psbt).getId() };
}

/**
 * The anchor for a new transaction: the audit log's head as the store holds it now (call inside
 * the governance transaction, so no entry slips in between), or null when turned off or the log
 * is empty.
 */
export async function currentAnchor(deps: GovernanceDeps, enabled: boolean): Promise<{ head: AuditHead; script: Uint8Array } | null> {
  if (!enabled) return null;
  const h = await deps.spends.auditHead();
  if (h === null || h.seq < 1) return null;
  const head = { seq: h.seq, hash: h.hash };
  return { head, script: auditAnchorScript(head) };
}

/** The anchor output a proposal's PSBT carries (its output index, seq and commitment), or null. */
export function anchorOfPsbt(psbt: string, network: Network): { vout: number; seq: number; commitment: string; script: Uint8Array } | null {
  if (psbt === '') return null;
  const decoded = decodePsbt(psbt, network).psbt;
  const outs = decoded.txOutputs;
  const a = anchorInOutputs(outs);
  const out = a ? outs[a.vout] : undefined;
  return a && out ? { ...a, script: Uint8Array.from(out.script) } : null;
}

/** A data output of `script` for coin selection: it pays nobody, its weight counts. */
export function dataOutput(script: Uint8Array): PaymentOutput {
  return { value: 0n, scriptLength: script.length, kind: 'data' };
}

export async function reserveChangeIndex(deps: GovernanceDeps, vault: Vault): Promise<number> {
  const a = await deps.vaults.reserveAddress(vault.id, 1);
  if (!a) throw new DomainError('INVALID_STATE', `vault ${vault.name} has no unused change address left: run "soberana sync" first`);
  return a.index;
}

/** Record a proposal after the policy decided; deny is refused and audited. */
export async function recordProposal(
  deps: GovernanceDeps,
  actor: Member,
  vault: Vault,
  fields: { kind: SpendKind; outputs: ProposalOutput[]; built: BuiltSpend; feeRate: bigint; memo: string | null; replaces: ProposalId | null; parent: ProposalId | null; amount: bigint; anchor?: AuditHead | null },
  decision: PolicyDecision,
  atMs: number,
): Promise<SpendProposal> {
  const summary = {
    vault: vault.id, kind: fields.kind, outputs: fields.outputs.map((o) => ({ address: o.address, sats: o.sats, internal: o.internal })),
    amountSats: fields.amount, feeSats: fields.built.feeSats, feeRateSatPerKvb: fields.feeRate, memo: fields.memo,
    replaces: fields.replaces, parent: fields.parent, unsignedTxid: fields.built.unsignedTxid,
    policyVersion: decision.policyVersion, rule: decision.ruleId, outcome: decision.outcome,
    ...(fields.anchor === undefined ? {} : { anchor: fields.anchor === null ? null : { seq: fields.anchor.seq, hash: fields.anchor.hash } }),
  };
  if (decision.outcome === 'deny' && decision.commitment) {
    // Refused before signing by a programme commitment in force, named in the refusal.
    throw new AuditedRefusal(auditOf(actor, 'operator', 'spend.propose.denied', `vault:${vault.id}`, { ...summary, commitment: decision.commitment, explanation: decision.explanation }, atMs), new DomainError('COMMITMENT_BREACH', `refused before signing by ${decision.commitment.message}`));
  }
  if (decision.outcome === 'deny') {
    throw new AuditedRefusal(auditOf(actor, 'operator', 'spend.propose.denied', `vault:${vault.id}`, { ...summary, explanation: decision.explanation }, atMs), new DomainError('POLICY_DENIED', `denied by policy version ${decision.policyVersion} (${decision.ruleId === null ? 'no rule matched' : `rule '${decision.ruleId}'`}): ${decision.explanation[decision.explanation.length - 1] ?? ''}`));
  }
  const state = decision.outcome === 'allow' ? 'approved' : 'proposed';
  const record = {
    vaultId: vaultId(vault.id), kind: fields.kind, outputs: fields.outputs, inputs: fields.built.inputs, changeSats: sats(fields.built.changeSats, 'change'), changeIndex: fields.built.changeIndex,
    memo: fields.memo, proposer: actor.id, feeRateSatPerKvb: fields.feeRate, feeSats: sats(fields.built.feeSats, 'fee'), amountSats: sats(fields.amount, 'amount'), state,
    psbt: fields.built.psbt, unsignedTxid: txid(fields.built.unsignedTxid, 'unsignedTxid'), replaces: fields.replaces, parent: fields.parent, policyVersion: decision.policyVersion,
    decision, createdAtMs: atMs,
  } as const;
  const id = await deps.spends.createProposal(record, auditOf(actor, 'operator', `spend.${fields.kind === 'payment' ? 'propose' : fields.kind}`, 'proposal:new', { ...summary, state }, atMs));
  const p = await deps.spends.proposal(id);
  if (!p) throw new DomainError('STORE_UNAVAILABLE', `proposal ${id} vanished after it was recorded`);
  return p;
}

/**
 * @throws FORBIDDEN (not an operator), VAULT_NOT_FOUND, INVALID_ADDRESS, NETWORK_MISMATCH, DUST_OUTPUT,
 *   INSUFFICIENT_FUNDS, FEE_TOO_HIGH (without `force`), POLICY_DENIED
 * @example await proposeSpend(deps, { actor: 'luis', vault: 'reserve', payments: [{ address, sats: 50_000n }], feeRateSatPerKvb: 2_000n })
 */
export async function proposeSpend(deps: GovernanceDeps, input: ProposeSpendInput): Promise<ProposeSpendResult> {
  const memo = input.memo?.trim() ? input.memo.trim() : null;
  if (memo !== null && memo.length > 500) throw new DomainError('INVALID_ARGUMENT', 'a memo is at most 500 characters');
  // Outside the transaction: asking the node and the price source may take time.
  const feeRate = await resolveFeeRate(deps, input.feeRateSatPerKvb, input.targetBlocks);
  const nowMs = deps.now();
  const price = await priceAt(deps, nowMs);
  // Inside: the coins offered are those no live proposal holds at this moment, and the new
  // proposal takes its coins in the same transaction (a second proposal cannot take them).
  return atomically(deps, async (tx) => {
    const actor = await requireActor(tx.spends, input.actor, 'operator');
    const vault = await requireVaultOf(tx.vaults, input.vault);
    const policy = await requirePolicy(tx.spends);
    const { inputWeight, changeScript } = vaultSpendShape(vault);
    const outputs = checkOutputs(input.payments, vault.network, await ownAddresses(tx));
    const anchor = await currentAnchor(tx, input.auditAnchor !== false);

    const held = await heldOutpoints(tx, vault.id);
    const txos = (await tx.vaults.unspentTxos(vault.id)).filter((t) => t.spentTxid === null && t.height !== null && !held.has(`${t.txid}:${t.vout}`));
    const byKey = new Map(txos.map((t) => [`${t.txid}:${t.vout}`, t]));
    for (const u of input.utxos ?? []) {
      if (held.has(`${u.txid}:${u.vout}`)) throw new DomainError('INVALID_STATE', `coin ${u.txid}:${u.vout} is already held by another live proposal`);
    }
    const selection = selectCoins({
      utxos: txos.map((t) => ({ txid: t.txid, vout: t.vout, value: t.value, inputWeight, frozen: t.frozen })),
      outputs: [...outputs.map((o) => ({ value: o.sats, scriptLength: addressToScript(o.address, vault.network).length })), ...(anchor ? [dataOutput(anchor.script)] : [])],
      feeRateSatPerKvb: feeRate,
      longTermFeeRateSatPerKvb: LONG_TERM_FEE_RATE_KVB,
      changeScriptLength: changeScript.length,
      changeInputWeight: inputWeight,
      dustLimit: dustLimitForScript(changeScript),
      ...(input.utxos && input.utxos.length > 0 ? { mustInclude: input.utxos } : {}),
    });
    const amount = outputs.reduce((s, o) => s + o.sats, 0n);
    assertFeeWithinCap(selection.fee, amount, input.force === true);

    const decision = await decideSpend(tx, policy, { vaultId: vault.id, proposer: actor, outputs, totalSats: amount, exclude: [], memo }, nowMs, price);
    const inputs: ProposalInput[] = selection.inputs.map((s) => {
      const t = byKey.get(`${s.txid}:${s.vout}`);
      if (!t) throw new TypeError(`proposeSpend: selected coin ${s.txid}:${s.vout} is not a vault coin`);
      return { txid: txid(t.txid, 'coin txid'), vout: t.vout, value: sats(t.value, 'coin value'), branch: t.branch, index: t.index };
    });
    if (decision.outcome === 'deny') {
      // Refused before reserving a change address; recorded in the audit log.
      await recordProposal(tx, actor, vault, { kind: 'payment', outputs, built: { inputs, changeSats: selection.changeValue, changeIndex: null, feeSats: selection.fee, psbt: '', unsignedTxid: '' }, feeRate, memo, replaces: null, parent: null, amount, anchor: anchor?.head ?? null }, decision, nowMs);
    }
    const changeIndex = selection.changeValue > 0n ? await reserveChangeIndex(tx, vault) : null;
    const { psbt, unsignedTxid } = buildPsbt(vault, inputs, outputs, changeIndex === null ? null : { sats: selection.changeValue, index: changeIndex }, anchor?.script ?? null);
    const built: BuiltSpend = { inputs, changeSats: selection.changeValue, changeIndex, feeSats: selection.fee, psbt, unsignedTxid };
    const proposal = await recordProposal(tx, actor, vault, { kind: 'payment', outputs, built, feeRate, memo, replaces: null, parent: null, amount, anchor: anchor?.head ?? null }, decision, nowMs);
    return { proposal, decision, anchor: anchor?.head ?? null };
  });
}
