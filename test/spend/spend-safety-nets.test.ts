// Safety nets of a proposal, on the regtest node and both engines: the fee cap (1% of the amount or
// 0.01 BTC, whichever is less) without --force, wrong-network and malformed addresses, dust
// outputs, frozen coins never spent, and a payment to another of our vaults recorded as an internal
// consolidation (marked on the output, categorised after broadcast and sync).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forEachEngine } from '../helpers/engines.ts';
import { useRegtestNode } from '../helpers/regtest.ts';
import { addVault } from '../../src/app/add-vault.ts';
import { proposeSpend } from '../../src/app/propose-spend.ts';
import { approveProposal } from '../../src/app/approve-proposal.ts';
import { broadcastProposal } from '../../src/app/broadcast-proposal.ts';
import { cosigner, multisigDescriptor } from '../helpers/vault-keys.ts';
import { FOREIGN, MAINNET_ADDRESS, setupGovernance, signAndFinalize } from './fixtures.ts';

const regtest = useRegtestNode();

forEachEngine('spend safety nets', (t) => {
  test('fee cap, network, dust, frozen coins', async () => {
    const g = await setupGovernance(regtest.node(), await t.open(), { fund: [1_000_000n, 2_000_000n] });
    const pay = (address: string, sats: bigint, rate = 1_000n, force = false) =>
      proposeSpend(g.deps, { actor: 'luis', vault: g.vault.name, payments: [{ address, sats }], feeRateSatPerKvb: rate, force });

    // 100,000 sats at 100 sat/vB: fee ≈ 18,900 sats > cap 1,000 sats (1% of the amount).
    await assert.rejects(pay(FOREIGN, 100_000n, 100_000n), { code: 'FEE_TOO_HIGH', message: /cap of 1000 sats/ });
    const forced = await pay(FOREIGN, 100_000n, 100_000n, true);
    assert.ok(forced.proposal.feeSats > 1_000n);

    await assert.rejects(pay(MAINNET_ADDRESS, 100_000n), { code: 'NETWORK_MISMATCH' });
    await assert.rejects(pay('bcrt1qnotanaddress', 100_000n), { code: 'INVALID_ADDRESS' });
    await assert.rejects(pay(FOREIGN, 293n), { code: 'DUST_OUTPUT', message: /dust limit of 294 sats/ });

    // The forced proposal holds one coin; freeze the other: nothing is left to spend.
    const held = new Set(forced.proposal.inputs.map((i) => `${i.txid}:${i.vout}`));
    const free = (await g.vaults.unspentTxos(g.vault.id)).filter((u) => !held.has(`${u.txid}:${u.vout}`));
    assert.equal(free.length, 1);
    const coin = free[0];
    if (!coin) throw new Error('no free coin');
    await g.vaults.setFrozen(g.vault.id, coin.txid, coin.vout, true);
    await assert.rejects(pay(FOREIGN, 100_000n), { code: 'INSUFFICIENT_FUNDS', message: /frozen/ });
    await g.vaults.setFrozen(g.vault.id, coin.txid, coin.vout, false);
    assert.ok((await pay(FOREIGN, 100_000n)).proposal.inputs.every((i) => i.txid === coin.txid && i.vout === coin.vout));
  });

  test('a payment to our own vault is an internal consolidation', async () => {
    const g = await setupGovernance(regtest.node(), await t.open(), { fund: [5_000_000n] });
    const other = await addVault({ store: g.vaults }, { name: 'cold-storage', network: 'regtest', descriptor: multisigDescriptor(2, [cosigner(31), cosigner(32), cosigner(33)]), birthday: { height: g.node.height() }, gapLimit: 5, now: '2026-01-01T00:00:00Z' });
    const to = (await g.vaults.addresses(other.id)).find((a) => a.branch === 0 && a.index === 0)?.address ?? '';
    const { proposal } = await proposeSpend(g.deps, { actor: 'luis', vault: g.vault.name, payments: [{ address: to, sats: 3_000_000n }], feeRateSatPerKvb: 1_000n });
    assert.deepEqual(proposal.outputs.map((o) => [o.internal, o.internalVault]), [[true, other.id]]);
    await approveProposal(g.deps, { actor: 'maria', proposalId: proposal.id });
    await approveProposal(g.deps, { actor: 'pedro', proposalId: proposal.id });
    const { txid } = await signAndFinalize(g, proposal.id);
    await broadcastProposal(g.deps, { actor: 'luis', proposalId: proposal.id });
    await g.node.mine(1);
    await g.sync();
    const tx = (await g.vaults.transactions(g.vault.id)).find((x) => x.txid === txid);
    assert.equal(tx?.category, 'internal consolidation');
  });
});
