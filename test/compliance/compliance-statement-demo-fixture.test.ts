// `soberana compliance statement --quarter 2025Q3 --json` (plus --pdf and --csv) on a demo-like
// regtest chain — the reserve and, watch-only, the Bitcoin Office's hot wallet and Chivo
// (src/cli/demo/government-wallets.ts), consolidations into the reserve before, during and after
// the quarter, a seizure and one purchase from outside in it — reconciles with the balances: each
// wallet's opening and closing stock equal its balance as `soberana balance` reported it when the
// chain stood at each quarter end, and opening + the quarter's flows = closing, per wallet and in
// total. It cites the proof of reserves published in the quarter (id, block, total proven, SHA-256
// of the file), and a quarter with none published cites the latest published before its end.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createHash } from 'node:crypto';
import { BIP32Factory } from 'bip32';
import * as ecc from '@bitcoinerlab/secp256k1';
import { networks, payments } from 'bitcoinjs-lib';
import { cliInProcess } from '../helpers/cli.ts';
import { useRegtestNode } from '../helpers/regtest.ts';
import { openDatabase } from '../../src/adapters/store/database.ts';
import { SqlVaultStore } from '../../src/adapters/store/vault-store.ts';
import { SqlProofStore } from '../../src/adapters/store/proof-store.ts';
import { addVault } from '../../src/app/add-vault.ts';
import { syncVaults } from '../../src/app/sync-vaults.ts';
import { ensureDemoCompliance } from '../../src/cli/demo/compliance.ts';
import { DEMO_SEIZURE, GovernmentWallets } from '../../src/cli/demo/government-wallets.ts';
import { sats } from '../../src/core/money.ts';

const runCli = cliInProcess();
const regtest = useRegtestNode();
const dir = mkdtempSync(join(tmpdir(), 'soberana-statement-demo-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const at = (d: string) => Math.floor(Date.parse(`${d}T15:00:00Z`) / 1000);

interface Wallet { vaultId: string; name: string; openingSats: string | null; closingSats: string | null }
interface Flow { txid: string; date: string; class: string; stockDelta: string; walletDeltas: Record<string, string> }
interface Proof { id: number; publishedOn: string; height: number; blockHash: string; totalSats: string; vaultIds: string[]; registeredVaultIds: string[]; fileSha256: string | null }
interface StatementOut {
  sha256: string;
  statement: {
    wallets: Wallet[]; flows: Flow[]; totals: { openingSats: string; closingSats: string };
    reconciliation: { openingSats: string; flowsNetSats: string; closingSats: string; joinedSats: string; leftSats: string; reconciles: boolean };
    byClass: Array<{ class: string; count: number }>; proofs: Proof[] | null; commitments: Array<{ id: string; status: string }>;
  };
}

test('the 2025Q3 statement of a demo-like chain reconciles with the balances at both quarter ends, per wallet and in total, and cites the proof of reserves published in the quarter', async () => {
  const node = await regtest.ready();
  let time = at('2024-01-01');
  while (node.height() < 110) await node.mineBlockAt((time += 600));
  await node.activateSegwit();
  const dbFile = join(dir, 's.db');
  const db = await openDatabase({ url: dbFile });
  const env = { SOBERANA_NETWORK: 'regtest', SOBERANA_ACTOR: 'irene' };
  const cli = (...args: string[]) => runCli(['--db', dbFile, ...args], { env });
  try {
    const store = new SqlVaultStore(db);
    const key = BIP32Factory(ecc).fromSeed(new Uint8Array(32).fill(72), networks.testnet).derivePath("m/44'/1'/0'/0/0");
    const reserve = payments.p2pkh({ pubkey: Buffer.from(key.publicKey), network: networks.regtest }).address as string;
    const es = await addVault({ store }, { name: 'El Salvador Reserve', network: 'regtest', addresses: [reserve], birthday: { height: 1 }, now: '2026-01-01T00:00:00Z' });
    const gov = await GovernmentWallets.create(store, join(dir, 'keys'), '2026-01-01T00:00:00Z');
    const sync = async () => syncVaults({ chain: node.chainSource(), store }, await store.listVaults());
    const balances = async (): Promise<Map<string, string>> => {
      const r = await cli('--json', 'balance');
      assert.equal(r.code, 0, r.stderr);
      return new Map((JSON.parse(r.stdout) as { vaults: Array<{ id: string; confirmed: { sats: string } }> }).vaults.map((v) => [v.id, v.confirmed.sats]));
    };
    const proofs = new SqlProofStore(db);
    const publish = async (publishedOn: string, message: string): Promise<{ id: number; file: string }> => {
      const coins = (await store.allTxos(es.id)).filter((o) => o.spentTxid === null && o.height !== null).map((o) => ({ vaultId: es.id, txid: o.txid, vout: o.vout, value: sats(o.value), script: o.script, branch: o.branch, index: o.index, height: o.height as number }));
      const tip = await node.chainSource().tip();
      const file = JSON.stringify({ message, block: { height: tip.height, hash: tip.hash }, total: String(coins.reduce((a, c) => a + c.value, 0n)) });
      const nowMs = Date.parse(`${publishedOn}T12:00:00Z`);
      const audit = (action: string) => ({ actor: 'rosa', role: 'operator', action, object: 'proof:new', details: {}, atMs: nowMs });
      const id = await proofs.createRound(
        { vaultIds: [es.id], message, challengeId: null, height: tip.height, blockHash: tip.hash, coins, totalSats: sats(coins.reduce((a, c) => a + c.value, 0n)), psbt: '', unsignedTxid: createHash('sha256').update(message).digest('hex'), proposer: 'rosa', policyVersion: 1, requirement: { kind: 'group', group: 'finance', count: 1 }, createdAtMs: nowMs },
        audit('proof.import-file'), { state: 'finalized', proofFile: file },
      );
      await proofs.updateRound(id, 'finalized', { publishedAtMs: nowMs }, audit('proof.publish'), nowMs);
      return { id, file };
    };

    // before the quarter: coins bought before the programme, the first consolidation (Q2)
    await node.fund(reserve, 500_000_000n);
    await node.mineBlockAt(at('2024-03-14'));
    gov.funded('chivo', await node.fund(gov.address('chivo'), 2_000_000_000n), sats(2_000_000_000n));
    await node.mineBlockAt(at('2024-06-03'));
    gov.funded('office', await node.fund(gov.address('office'), 3_000_000_000n), sats(3_000_000_000n));
    await node.mineBlockAt(at('2024-12-02'));
    await gov.consolidate(node, ['office'], reserve, sats(700_000_000n));
    await node.mineBlockAt(at('2025-05-07'));
    await sync();
    const q2proof = await publish('2025-05-08', 'El Salvador reserve, May 2025');
    const opening = await balances(); // the chain ends in Q2: these are the balances at the end of 2025-06-30

    // the quarter: a consolidation, a labelled seizure, the purchase from outside, a move from two wallets
    const weekly = await gov.consolidate(node, ['office'], reserve, sats(700_000_000n));
    await node.mineBlockAt(at('2025-07-09'));
    const seizure = await node.fund(gov.address('office'), 125_000_000n);
    await store.setCategory(seizure, 'seizure');
    await store.upsertLabels([{ type: 'tx', ref: seizure, label: DEMO_SEIZURE.label, origin: null, spendable: null }]);
    await node.mineBlockAt(at(DEMO_SEIZURE.date));
    const purchase = await node.fund(reserve, 2_100_000_000n);
    await node.mineBlockAt(at('2025-09-07'));
    const both = await gov.consolidate(node, ['chivo', 'office'], reserve, sats(1_500_000_000n));
    await node.mineBlockAt(at('2025-09-20'));
    await sync();
    const q3proof = await publish('2025-09-25', 'El Salvador reserve, September 2025');
    const closing = await balances(); // the chain ends in Q3: the balances at the end of 2025-09-30

    // after the quarter: one more move, which the Q3 statement must not count
    await gov.consolidate(node, ['office'], reserve, sats(700_000_000n));
    await node.mineBlockAt(at('2025-10-08'));
    await sync();
    await ensureDemoCompliance({ db, store, elSalvador: es.id, log: () => undefined });

    const pdf = join(dir, 'q3.pdf');
    const csv = join(dir, 'q3.csv');
    const r = await cli('--json', 'compliance', 'statement', '--quarter', '2025Q3', '--pdf', pdf, '--csv', csv);
    assert.equal(r.code, 0, r.stderr);
    const { statement: s, sha256 } = JSON.parse(r.stdout) as StatementOut;
    assert.equal(s.wallets.length, 3);
    let openingTotal = 0n;
    let closingTotal = 0n;
    for (const w of s.wallets) {
      assert.equal(w.openingSats, opening.get(w.vaultId), `${w.name}: opening = its balance at the end of 2025-06-30`);
      assert.equal(w.closingSats, closing.get(w.vaultId), `${w.name}: closing = its balance at the end of 2025-09-30`);
      const flows = s.flows.reduce((a, f) => a + BigInt(f.walletDeltas[w.vaultId] ?? '0'), 0n);
      assert.equal(BigInt(w.openingSats ?? '0') + flows, BigInt(w.closingSats ?? '0'), `${w.name}: opening + the quarter's flows = closing`);
      openingTotal += BigInt(w.openingSats ?? '0');
      closingTotal += BigInt(w.closingSats ?? '0');
    }
    assert.deepEqual(s.totals, { openingSats: String(openingTotal), closingSats: String(closingTotal) });
    assert.equal(s.reconciliation.reconciles, true);
    assert.equal(openingTotal + BigInt(s.reconciliation.flowsNetSats), closingTotal);
    assert.deepEqual(s.flows.map((f) => [f.txid, f.class]).sort(), [[weekly, 'internal-consolidation'], [seizure, 'seizure'], [purchase, 'external-acquisition'], [both, 'internal-consolidation']].sort());
    assert.deepEqual(s.commitments.map((c) => [c.id, c.status]), [['imf-2025-no-accumulation', 'breached']]);

    // the proof of reserves published in the quarter, with the SHA-256 of its file
    assert.equal(s.proofs?.length, 1);
    const p = s.proofs?.[0];
    assert.equal(p?.id, q3proof.id);
    assert.equal(p?.publishedOn, '2025-09-25');
    assert.equal(p?.totalSats, closing.get(es.id), 'it proves the reserve\'s coins at the block it was made against');
    assert.deepEqual(p?.registeredVaultIds, [es.id]);
    assert.equal(p?.fileSha256, createHash('sha256').update(q3proof.file, 'utf8').digest('hex'));
    assert.equal(readFileSync(pdf).subarray(0, 5).toString('latin1'), '%PDF-');
    const csvText = readFileSync(csv, 'utf8');
    assert.match(csvText, /^proof_of_reserves,published_on,height,block_hash,total_sats,vaults,registered_vaults,file_sha256$/m);
    assert.ok(csvText.includes(`${q3proof.id},2025-09-25,${p?.height},${p?.blockHash},${p?.totalSats},${es.id},${es.id},${p?.fileSha256}`), csvText);

    // a quarter without a proof published in it cites the latest published before its end
    const q4 = JSON.parse((await cli('--json', 'compliance', 'statement', '--quarter', '2025Q4')).stdout) as StatementOut;
    assert.deepEqual(q4.statement.proofs?.map((x) => x.id), [q3proof.id]);
    const q2 = JSON.parse((await cli('--json', 'compliance', 'statement', '--quarter', '2025Q2')).stdout) as StatementOut;
    assert.deepEqual(q2.statement.proofs?.map((x) => x.id), [q2proof.id]);
    const q1 = JSON.parse((await cli('--json', 'compliance', 'statement', '--quarter', '2025Q1')).stdout) as StatementOut;
    assert.deepEqual(q1.statement.proofs, [], 'none published by the end of 2025Q1');
    assert.match(sha256, /^[0-9a-f]{64}$/);
  } finally {
    await db.close();
  }
});
