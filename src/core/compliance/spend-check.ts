/**
 * A proposed spend as the flow it would be, checked against the commitments in force (pure; the
 * gate in src/app/compliance/spend-gate.ts hands over the register and labels it read).
 */
import { classifyFlow } from './classify-flows.ts';
import { checkProposedFlow, type Breach, type Commitment } from './commitments.ts';
import type { ProposedSpend } from './ports.ts';
import { dayOfTime, inRegisterOn, type RegisterEntry } from './types.ts';

export interface SpendCheckData {
  /** The latest register entry of each registered vault. */
  readonly register: ReadonlyMap<string, RegisterEntry>;
  /** Address → vault id, for every address of every registered vault. */
  readonly registerAddresses: ReadonlyMap<string, string>;
  /** Address → its BIP-329 labels. */
  readonly addressLabels: ReadonlyMap<string, readonly string[]>;
  readonly commitments: readonly Commitment[];
}

/**
 * The breach a spend would be, or null. The spend's coins come from its vault (a registered wallet
 * when the vault is in the register today); each output goes to a registered wallet or outside; its
 * memo and its destinations' labels say whether it is a sale or a settlement.
 * @example checkSpend(data, { vaultId: 'reserve', outputs: [{ address, sats: 10_000n }], memo: 'sale to an exchange', nowMs })
 */
export function checkSpend(data: SpendCheckData, spend: ProposedSpend): Breach | null {
  const day = dayOfTime(Math.floor(spend.nowMs / 1000));
  const member = (vaultId: string | undefined): string | null => {
    if (vaultId === undefined) return null;
    const e = data.register.get(vaultId);
    return e !== undefined && inRegisterOn(e, day) ? vaultId : null;
  };
  const from = member(spend.vaultId);
  const outputs = spend.outputs.map((o) => ({ wallet: member(data.registerAddresses.get(o.address)), sats: o.sats, data: false }));
  if (from === null && outputs.every((o) => o.wallet === null)) return null; // touches no registered wallet
  const total = spend.outputs.reduce((a, o) => a + o.sats, 0n);
  const labels = [...(spend.memo === null ? [] : [spend.memo]), ...spend.outputs.flatMap((o) => data.addressLabels.get(o.address) ?? [])];
  const flow = classifyFlow({ txid: '(proposed)', height: null, time: Math.floor(spend.nowMs / 1000), coinbase: false, inputs: [{ wallet: from, sats: from === null ? null : total }], outputs, category: null, labels }, null);
  return checkProposedFlow(data.commitments, flow, day);
}
