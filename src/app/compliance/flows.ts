/**
 * The register's history from what sync stored: every transaction touching a registered wallet
 * (our multisig vaults and watch-only address lists alike), as the neutral `FlowTx` of
 * core/compliance/classify-flows.ts, then classified with the overrides people set.
 *
 * A wallet counts as public for a transaction dated on or after the day it joined the register (and
 * before the day it left); before, its coins are outside the register. An unconfirmed transaction
 * is judged with today's register.
 */
import { Transaction } from 'bitcoinjs-lib';
import { hex } from '@scure/base';
import { scriptToAddress } from '../../core/bitcoin/address.ts';
import { classifyFlows, type FlowTx } from '../../core/compliance/classify-flows.ts';
import type { ComplianceStore } from '../../core/compliance/ports.ts';
import { currentRegister, dayOfTime, inRegisterOn, type ClassifiedFlow, type RegisterEntry } from '../../core/compliance/types.ts';
import { DomainError } from '../../core/errors.ts';
import type { TxCategory, Vault } from '../../core/vault/types.ts';
import type { VaultStore } from '../../core/vault/vault-store.ts';
import type { SpendStore } from '../../core/spend/types.ts';
import type { ProofRound } from '../../core/por/round.ts';

export interface ComplianceDeps {
  readonly compliance: ComplianceStore;
  readonly vaults: VaultStore;
  /** Milliseconds since the epoch (the injected clock). */
  readonly now: () => number;
  /** When given, a spend proposal's memo labels its transaction (a sale proposed as one is classified as one on the chain). */
  readonly spends?: SpendStore | undefined;
  /** When given, the quarterly statement refers to the published proofs of reserves (read only). */
  readonly proofs?: { rounds(): Promise<readonly ProofRound[]> } | undefined;
}

/** Who acts (free text, recorded in the audit log) and in which role. */
export interface Actor {
  readonly actor: string;
  readonly role: string;
}

export interface RegisterHistory {
  readonly register: ReadonlyMap<string, RegisterEntry>;
  readonly vaults: ReadonlyMap<string, Vault>;
  readonly flows: ClassifiedFlow[];
}

/**
 * Every flow touching a registered wallet, classified (`vault`: only flows touching that wallet).
 * @example const { flows } = await registerHistory(deps); flows.filter((f) => f.class === 'external-acquisition')
 */
export async function registerHistory(deps: ComplianceDeps, opts: { vault?: string | undefined } = {}): Promise<RegisterHistory> {
  const register = currentRegister(await deps.compliance.registerVersions());
  const vaults = new Map<string, Vault>();
  for (const id of register.keys()) {
    const v = await deps.vaults.findVault(id);
    if (!v) throw new DomainError('MALFORMED_DATA', `register entry ${id} names a vault that no longer exists`);
    vaults.set(id, v);
  }
  let only: string | null = null;
  if (opts.vault !== undefined) {
    const v = await deps.vaults.findVault(opts.vault);
    if (!v) throw new DomainError('VAULT_NOT_FOUND', `no vault "${opts.vault}"`);
    if (!register.has(v.id)) throw new DomainError('NOT_FOUND', `vault ${v.id} is not in the register (see "soberana compliance register add --help")`);
    only = v.id;
  }
  const txoOwner = new Map<string, { vault: string; sats: bigint }>();
  const scriptOwner = new Map<string, string>();
  const addressOf = new Map<string, string>();
  const raw = new Map<string, { rawHex: string; height: number | null; time: number | null; category: TxCategory | null }>();
  for (const id of register.keys()) {
    for (const o of await deps.vaults.allTxos(id)) txoOwner.set(`${o.txid}:${o.vout}`, { vault: id, sats: o.value });
    for (const a of await deps.vaults.addresses(id)) {
      scriptOwner.set(a.script, id);
      addressOf.set(a.script, a.address);
    }
    for (const t of await deps.vaults.transactions(id)) {
      const had = raw.get(t.txid);
      raw.set(t.txid, { rawHex: t.rawHex, height: t.height, time: t.blockTime, category: had?.category ?? t.category });
    }
  }
  const txLabels = new Map<string, string[]>();
  const addrLabels = new Map<string, string[]>();
  for (const l of await deps.vaults.labels()) {
    const into = l.type === 'tx' ? txLabels : l.type === 'addr' ? addrLabels : null;
    if (into) into.set(l.ref, [...(into.get(l.ref) ?? []), l.label]);
  }
  for (const p of deps.spends ? await deps.spends.proposals() : []) {
    const id = p.txid ?? p.unsignedTxid;
    if (p.memo !== null && id !== '' && raw.has(id)) txLabels.set(id, [...(txLabels.get(id) ?? []), p.memo]);
  }
  const network = [...vaults.values()][0]?.network ?? 'regtest';
  const today = dayOfTime(Math.floor(deps.now() / 1000));
  const txs: FlowTx[] = [];
  for (const [txid, r] of raw) {
    const day = r.time === null ? today : dayOfTime(r.time);
    const member = (vault: string | undefined): string | null => {
      if (vault === undefined) return null;
      const e = register.get(vault);
      return e !== undefined && inRegisterOn(e, day) ? vault : null;
    };
    const tx = Transaction.fromHex(r.rawHex);
    const coinbase = tx.isCoinbase();
    const inputs = coinbase ? [] : tx.ins.map((i) => {
      const owned = txoOwner.get(`${hex.encode(Uint8Array.from(i.hash).reverse())}:${i.index}`);
      const wallet = member(owned?.vault);
      return { wallet, sats: wallet === null ? null : (owned?.sats ?? null) };
    });
    const labels = [...(txLabels.get(txid) ?? [])];
    const outputs = tx.outs.map((o, vout) => {
      const script = hex.encode(Uint8Array.from(o.script));
      const wallet = member(txoOwner.get(`${txid}:${vout}`)?.vault ?? scriptOwner.get(script));
      const address = addressOf.get(script) ?? scriptToAddress(Uint8Array.from(o.script), network);
      if (address !== null) labels.push(...(addrLabels.get(address) ?? []));
      return { wallet, sats: BigInt(o.value), data: o.script[0] === 0x6a };
    });
    const touches = inputs.some((i) => i.wallet !== null) || outputs.some((o) => o.wallet !== null);
    if (!touches) continue;
    if (only !== null && !inputs.some((i) => i.wallet === only) && !outputs.some((o) => o.wallet === only)) continue;
    txs.push({ txid, height: r.height, time: r.time, coinbase, inputs, outputs, category: r.category, labels: [...new Set(labels)] });
  }
  const overrides = new Map((await deps.compliance.overrides()).map((o) => [o.txid, o]));
  return { register, vaults, flows: classifyFlows(txs, overrides) };
}
