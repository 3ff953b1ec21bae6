// The demo's alliance settlement (src/cli/demo/settlement.ts) on a fresh regtest node and SQLite
// database, with the demo's members and policy: invoices from the shipped bilateral trade figures
// (ILLUSTRATIVE), four weekly cycles closed — three paid out in escrow from confirmed pay-ins, one
// rescinded after El Salvador misses its pay-in (Pakistan refunded, the cycle handed back) — and a
// second run adds nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useRegtestNode } from '../helpers/regtest.ts';
import { openDatabase } from '../../src/adapters/store/database.ts';
import { SqlVaultStore } from '../../src/adapters/store/vault-store.ts';
import { SqlSpendStore } from '../../src/adapters/store/spend-store.ts';
import { SqlSettlementOnchainStore } from '../../src/adapters/store/settlement-onchain-store.ts';
import { SqlSettlementStore } from '../../src/adapters/store/settlement-store.ts';
import { addMember } from '../../src/app/add-member.ts';
import { proposePolicy } from '../../src/app/propose-policy.ts';
import { DEMO_MEMBERS, DEMO_POLICY } from '../../src/cli/demo/build-alliance.ts';
import { ensureDemoSettlement } from '../../src/cli/demo/settlement.ts';

const regtest = useRegtestNode();

test('the demo settles three weekly cycles in escrow and rescinds one after a missed pay-in; a second start adds nothing', async () => {
  const node = regtest.node();
  await node.activateSegwit();
  const dir = mkdtempSync(join(tmpdir(), 'soberana-demo-settlement-'));
  const db = await openDatabase({ url: join(dir, 'demo.db') });
  try {
    const store = new SqlVaultStore(db);
    const spends = new SqlSpendStore(db);
    const deps = { spends, vaults: store, now: () => Date.now(), network: 'regtest' as const };
    await addMember(deps, { actor: undefined, ...DEMO_MEMBERS.admin });
    for (const m of [DEMO_MEMBERS.operator, DEMO_MEMBERS.finance, DEMO_MEMBERS.centralBank]) await addMember(deps, { actor: DEMO_MEMBERS.admin.name, ...m });
    await proposePolicy(deps, { actor: DEMO_MEMBERS.admin.name, document: JSON.stringify(DEMO_POLICY) });
    const lines: string[] = [];
    const started = Date.now();
    const r = await ensureDemoSettlement({ db, store, node, dataDir: dir, log: (l) => lines.push(l) });
    const took = Date.now() - started;
    assert.ok(r);
    assert.equal(r.settled.length, 3);
    assert.equal(r.rescinded.length, 1);
    assert.ok(lines.some((l) => /RESCINDED — SLV missed/.test(l)), lines.join('\n'));
    assert.ok(lines[0]?.includes('ILLUSTRATIVE'));

    const onchain = new SqlSettlementOnchainStore(db);
    const cycles = new SqlSettlementStore(db);
    for (const id of r.settled) {
      const c = await onchain.cycle(id);
      assert.equal(c?.phase, 'payout-proposed');
      assert.equal((await spends.proposal(c?.payoutProposalId ?? 0))?.state, 'confirmed', `cycle ${id}'s payout is mined`);
      assert.equal((await cycles.cycle(id))?.status, 'settled', 'the cycle store marked it settled');
    }
    const res = await onchain.cycle(r.rescinded[0] ?? '');
    assert.deepEqual(res?.defaulters, ['SLV']);
    assert.equal((await spends.proposal(res?.refundProposalId ?? 0))?.state, 'confirmed', 'the refund is mined');
    assert.equal((await cycles.cycle(r.rescinded[0] ?? ''))?.status, 'rescinded', 'handed back to be netted again');
    const alliance = (await store.listVaults()).find((v) => v.name.startsWith('Alliance Settlement'));
    assert.equal((await store.balance(alliance?.id ?? '')).confirmed, 0n, 'the escrow holds nothing once every cycle is paid out or refunded');

    assert.equal(await ensureDemoSettlement({ db, store, node, dataDir: dir, log: () => undefined }), null, 'a second start adds nothing');
    console.log(`# demo settlement built in ${took} ms`);
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
