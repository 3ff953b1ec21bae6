// `soberana sync` tracks the alliance escrows after its walk (no separate "settlement escrow
// track"): a pay-in paid to the escrow's address and buried six blocks deep is `confirmed` after
// one `soberana sync`, the change is in the --json answer and the text; a `--vault` sync of a vault
// that is no escrow's leaves the escrows alone. Embedded regtest node, SQLite.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useRegtestNode } from '../helpers/regtest.ts';
import { cliInProcess } from '../helpers/cli.ts';
import { cosigner, multisigDescriptor } from '../helpers/vault-keys.ts';
import { policyDoc } from '../spend/fixtures.ts';
import { openDatabase } from '../../src/adapters/store/database.ts';
import { SqlVaultStore } from '../../src/adapters/store/vault-store.ts';
import { SqlSpendStore } from '../../src/adapters/store/spend-store.ts';
import { SqlSettlementOnchainStore } from '../../src/adapters/store/settlement-onchain-store.ts';
import { addVault } from '../../src/app/add-vault.ts';
import { addMember } from '../../src/app/add-member.ts';
import { proposePolicy } from '../../src/app/propose-policy.ts';
import { syncVaults } from '../../src/app/sync-vaults.ts';
import { openEscrow } from '../../src/app/settlement/escrow.ts';
import type { Sats } from '../../src/core/money.ts';

const regtest = useRegtestNode();
const runCli = cliInProcess();

test('soberana sync confirms a buried pay-in without a separate track command; a --vault sync of another vault leaves escrows alone', async () => {
  const node = await regtest.ready();
  await node.activateSegwit();
  const dir = mkdtempSync(join(tmpdir(), 'soberana-sync-escrow-'));
  const dbPath = join(dir, 'sync.db');
  const env = { SOBERANA_NETWORK: 'regtest', SOBERANA_RPC_URL: node.rpcUrl, SOBERANA_RPC_USER: node.rpcUser, SOBERANA_RPC_PASSWORD: node.rpcPassword };
  const db = await openDatabase({ url: dbPath });
  let payIn: { address: string; sats: bigint } | undefined;
  try {
    const vaults = new SqlVaultStore(db);
    const deps = { spends: new SqlSpendStore(db), vaults, now: () => Date.now(), network: 'regtest' as const, onchain: new SqlSettlementOnchainStore(db) };
    await addMember(deps, { actor: undefined, name: 'ana', roles: ['admin'], groups: [] });
    await addMember(deps, { actor: 'ana', name: 'luis', roles: ['operator'], groups: [] });
    await proposePolicy(deps, { actor: 'ana', document: policyDoc() });
    const birthday = { height: node.height() };
    const alliance = await addVault({ store: vaults }, { name: 'alliance', network: 'regtest', descriptor: multisigDescriptor(2, [cosigner(301), cosigner(302), cosigner(303)]), birthday, gapLimit: 5, now: '2026-01-01T00:00:00Z' });
    const other = await addVault({ store: vaults }, { name: 'other', network: 'regtest', descriptor: multisigDescriptor(2, [cosigner(304), cosigner(305), cosigner(306)]), birthday, gapLimit: 5, now: '2026-01-01T00:00:00Z' });
    await syncVaults({ chain: node.chainSource(), store: vaults }, [alliance, other]);
    const members = ['PAK', 'RUS'].map((code, i) => ({ code, state: code, institution: `${code} bank`, currency: 'USD', receiveDescriptor: multisigDescriptor(1, [cosigner(310 + i)]) }));
    const cycle = {
      id: 'S01', cutoff: '2026-01-05', mode: 'escrow' as const, rates: [{ currency: 'USD', minorDigits: 2, btcPriceMinor: 7_829_371n, source: 'test fixture' }],
      positions: [{ member: 'PAK', sats: -500_000n }, { member: 'RUS', sats: 500_000n }], transfers: [{ from: 'PAK', to: 'RUS', sats: 500_000n as Sats }],
    };
    const { payIns } = await openEscrow(deps, { actor: 'luis', cycle, members, vault: alliance.id, deadlineBlocks: 50 });
    payIn = { address: payIns[0]?.address ?? '', sats: payIns[0]?.sats ?? 0n };
  } finally {
    await db.close();
  }
  assert.ok(payIn);
  await node.fund(payIn.address, payIn.sats);
  await node.mine(6);

  // a sync of a vault that is no escrow's: the escrow is not tracked
  const some = await runCli(['--db', dbPath, 'sync', '--vault', 'other', '--json'], { env });
  assert.equal(some.code, 0, some.stderr);
  assert.deepEqual((JSON.parse(some.stdout) as { settlement: unknown[] }).settlement, []);

  const all = await runCli(['--db', dbPath, 'sync', '--json'], { env });
  assert.equal(all.code, 0, all.stderr);
  assert.deepEqual((JSON.parse(all.stdout) as { settlement: unknown[] }).settlement, [{ cycle: 'S01', payer: 'PAK', from: 'pending', to: 'confirmed' }]);
  const again = await runCli(['--db', dbPath, 'sync'], { env });
  assert.equal(again.code, 0, again.stderr);
  assert.doesNotMatch(again.stdout, /settlement S01/, 'nothing changed the second time');

  const check = await openDatabase({ url: dbPath });
  try {
    const [p] = await new SqlSettlementOnchainStore(check).payIns('S01');
    assert.equal(p?.status, 'confirmed');
    assert.equal(p?.confirmations, 6);
  } finally {
    await check.close();
  }
});
