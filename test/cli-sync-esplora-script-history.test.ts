// `soberana sync` over an Esplora source takes the script-history path (each watched script's
// history, no block downloads) and leaves the same balance and history as `--block-walk`, through
// the CLI's compiled main() against the Esplora-shaped server over the embedded regtest node.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useRegtestNode } from './helpers/regtest.ts';
import { cliInProcess } from './helpers/cli.ts';
import { cosigner, wpkhDescriptor } from './helpers/vault-keys.ts';
import { startEsploraShapedServer, type EsploraShapedServer } from './chain/esplora-shaped-server.ts';
import { openDatabase } from '../src/adapters/store/database.ts';
import { SqlVaultStore } from '../src/adapters/store/vault-store.ts';
import { deriverFor } from '../src/app/vault-deriver.ts';

/** The CLI's main(), run in-process (see cliInProcess): this file tests what the commands do, not the process. */
const runCli = cliInProcess();

const regtest = useRegtestNode();
let server: EsploraShapedServer;

before(async () => {
  server = await startEsploraShapedServer((await regtest.ready()).chainSource());
});
after(async () => {
  await server?.close();
});

test('sync over Esplora asks per script, downloads no block, and equals the block walk', { timeout: 180_000 }, async () => {
  const node = regtest.node();
  const dir = mkdtempSync(join(tmpdir(), 'soberana-sh-cli-'));
  const descriptor = wpkhDescriptor(cosigner(91, "m/84'/1'/0'"));
  const env = { SOBERANA_NETWORK: 'regtest', SOBERANA_ESPLORA_URL: server.url, SOBERANA_RPC_URL: '' };
  const light = join(dir, 'light.db');
  const walked = join(dir, 'walked.db');
  for (const db of [light, walked]) {
    const r = await runCli(['--db', db, 'vault', 'add', '--name', 'Esplora Reserve', '--descriptor', descriptor, '--birthday', String(node.height())], { env });
    assert.equal(r.code, 0, r.stderr);
  }
  // pay three addresses of the vault (two confirmed, one left in the mempool)
  const db = await openDatabase({ url: light });
  const store = new SqlVaultStore(db);
  const vault = (await store.listVaults())[0]!;
  const deriver = deriverFor(vault)!;
  const addresses = [0, 3, 7].map((i) => deriver.derive(0, i).address);
  await db.close();
  await node.fund(addresses[0]!, 150_000n);
  await node.fund(addresses[1]!, 250_000n);
  await node.mine(1);
  await node.fund(addresses[2]!, 40_000n, { confirm: false });

  server.resetStats();
  const a = await runCli(['--db', light, 'sync', '--json'], { env });
  assert.equal(a.code, 0, a.stderr);
  const out = JSON.parse(a.stdout) as { walk: { path: string; blocksDownloaded: number } };
  assert.equal(out.walk.path, 'script-history');
  assert.equal(out.walk.blocksDownloaded, 0);
  assert.ok(server.requests.some((p) => p.startsWith('scripthash/')), `asked per script: ${server.requests.slice(0, 5).join(', ')}`);
  assert.ok(!server.requests.some((p) => /^block\/[0-9a-f]{64}\/raw/.test(p)), `no raw block downloaded: ${server.requests.filter((p) => p.startsWith('block/')).slice(0, 3).join(', ')}`);
  assert.ok(!server.requests.some((p) => p.startsWith('mempool/txids')), 'no whole-mempool listing');

  const b = await runCli(['--db', walked, 'sync', '--block-walk', '--json'], { env });
  assert.equal(b.code, 0, b.stderr);
  assert.equal((JSON.parse(b.stdout) as { walk: { path: string } }).walk.path, 'block-walk');

  const read = async (file: string, cmd: string[]): Promise<unknown> => {
    const r = await runCli(['--db', file, ...cmd, '--json'], { env });
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as unknown;
  };
  const balance = (file: string) => read(file, ['balance']);
  const history = (file: string) => read(file, ['history', '--vault', 'esplora-reserve']);
  assert.deepEqual(await balance(light), await balance(walked));
  assert.deepEqual(await history(light), await history(walked));
  const bal = (await balance(light)) as { total: { confirmed: { sats: string }; unconfirmed: { sats: string } } };
  assert.equal(bal.total.confirmed.sats, '400000');
  assert.equal(bal.total.unconfirmed.sats, '40000');
});
