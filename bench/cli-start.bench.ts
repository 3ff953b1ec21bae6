/**
 * CLI cold start (issue #12): how long a user waits for `soberana` to answer, against bare Node
 * (`node -e 0`) measured in the same run, alternating the three so noise hits all alike. Targets:
 * `soberana --version` within 150 ms of bare Node; `soberana balance --json` on a SQLite database
 * with a vault and its transactions (made here: El Salvador's published addresses, 200 blocks of
 * receipts and spends) within 400 ms. Runs the compiled `bin/soberana.js`, as users do; compiles
 * first if a source changed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Benchmark, BenchRow } from './harness.ts';
import { median } from './harness.ts';
import { compile } from '../scripts/build.mjs';
import { openDatabase } from '../src/adapters/store/database.ts';
import { SqlVaultStore } from '../src/adapters/store/vault-store.ts';
import type { Txo, VaultTransaction } from '../src/core/vault/types.ts';

const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'soberana.js');
const RUNS = 11;
const BLOCKS = 200;

/** Wall-clock milliseconds of one process run to its exit; throws if it fails. */
function runMs(args: readonly string[]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', cwd: tmpdir() });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`bench cli-start: node ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

const hex64 = (n: number, salt: number) => (salt.toString(16).padStart(8, '0') + n.toString(16).padStart(8, '0')).repeat(4);

/** A database with El Salvador's published addresses as a vault and BLOCKS blocks of activity. */
async function makeDatabase(file: string): Promise<string> {
  const add = spawnSync(process.execPath, [BIN, '--network', 'main', '--db', file, '--json', 'vault', 'add', '--name', 'El Salvador (published)', '--addresses', join(ROOT, 'data', 'sovereign', 'el_salvador_reserve_addresses.csv')], { encoding: 'utf8' });
  if (add.status !== 0) throw new Error(`bench cli-start: vault add failed: ${add.stderr}`);
  const vaultId = (JSON.parse(add.stdout) as { id: string }).id;
  const database = await openDatabase({ url: file });
  try {
    const store = new SqlVaultStore(database);
    const addrs = await store.addresses(vaultId);
    const unspent: Txo[] = [];
    for (let h = 1; h <= BLOCKS; h++) {
      const a = addrs[h % addrs.length];
      if (!a) throw new Error('bench cli-start: the vault has no addresses');
      const txid = hex64(h, 1);
      const value = BigInt(100_000 + h * 1_000);
      const txo: Txo = { txid, vout: 0, value, script: a.script, branch: a.branch, index: a.index, height: h, spentTxid: null, spentHeight: null, frozen: false };
      const tx: VaultTransaction = { txid, height: h, blockHash: hex64(h, 2), blockTime: 1_600_000_000 + h * 600, txIndex: 1, received: value, spent: 0n, fee: null, category: null, rawHex: '00' };
      const spendOne = h % 3 === 0 ? unspent.shift() : undefined; // every third block also spends an older coin
      const spendTx: VaultTransaction[] = spendOne ? [{ ...tx, txid: hex64(h, 3), txIndex: 2, received: 0n, spent: spendOne.value }] : [];
      await store.applyBlock(vaultId, {
        height: h, hash: hex64(h, 2), time: 1_600_000_000 + h * 600,
        newTxos: [txo],
        spends: spendOne ? [{ txid: spendOne.txid, vout: spendOne.vout, spentTxid: hex64(h, 3) }] : [],
        transactions: [tx, ...spendTx],
        usedAddresses: [{ branch: a.branch, index: a.index }],
        newAddresses: [],
      });
      unspent.push(txo);
    }
  } finally {
    await database.close();
  }
  return vaultId;
}

const bench: Benchmark = {
  name: 'cli-start',
  description: 'CLI cold start of the compiled soberana (--version; balance --json on a vault with 200 blocks of transactions) vs bare node -e 0',
  async run(): Promise<BenchRow[]> {
    await compile();
    const dir = mkdtempSync(join(tmpdir(), 'soberana-bench-cli-'));
    try {
      const db = join(dir, 'bench.db');
      await makeDatabase(db);
      const cases = {
        bare: ['-e', '0'],
        version: [BIN, '--version'],
        balance: [BIN, '--db', db, 'balance', '--json'],
      } as const;
      for (const args of Object.values(cases)) runMs(args); // warm the file cache
      const samples: Record<keyof typeof cases, number[]> = { bare: [], version: [], balance: [] };
      for (let i = 0; i < RUNS; i++) for (const [k, args] of Object.entries(cases)) samples[k as keyof typeof cases].push(runMs(args));
      const bare = median(samples.bare);
      const version = median(samples.version);
      const balance = median(samples.balance);
      const note = (ms: number) => `${(ms - bare).toFixed(0)} ms over bare Node (${(ms / bare).toFixed(2)}× its time); medians of ${RUNS}`;
      process.stderr.write(`bench: cli-start: bare node ${bare.toFixed(0)} ms, --version ${version.toFixed(0)} ms (${note(version)}), balance --json ${balance.toFixed(0)} ms (${note(balance)})\n`);
      return [
        { name: 'soberana --version, cold start', unit: 'ms', ours: version, peer: bare, peerName: 'node -e 0', higherIsBetter: false, target: bare + 150, notes: note(version) },
        { name: `soberana balance --json, cold start (${BLOCKS} blocks of transactions)`, unit: 'ms', ours: balance, peer: bare, peerName: 'node -e 0', higherIsBetter: false, target: bare + 400, notes: note(balance) },
      ];
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
export default bench;
