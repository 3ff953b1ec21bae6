// `soberana sync` (the CLI's compiled main()) against the embedded node's RPC: a summary in --json,
// the balance it finds, one walk for two vaults at different heights, and a vault of another
// network refused with a message saying which.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliInProcess } from './helpers/cli.ts';
import { useRegtestNode } from './helpers/regtest.ts';
import { cosigner, multisigDescriptor } from './helpers/vault-keys.ts';
import { deriveAddresses } from '../src/core/bitcoin/descriptor.ts';
import { EXIT_CODE_BY_ERROR } from '../src/cli/exit-codes.ts';

/** The CLI's main(), run in-process (see cliInProcess): this file tests what the commands do, not the process. */
const runCli = cliInProcess();

const regtest = useRegtestNode();
const dir = mkdtempSync(join(tmpdir(), 'soberana-cli-sync-'));
const descriptor = multisigDescriptor(2, [cosigner(91), cosigner(92), cosigner(93)]);

function rpcEnv(network: string): NodeJS.ProcessEnv {
  const node = regtest.node();
  return { SOBERANA_NETWORK: network, SOBERANA_RPC_URL: node.rpcUrl, SOBERANA_RPC_USER: node.rpcUser, SOBERANA_RPC_PASSWORD: node.rpcPassword };
}

test('sync --json reports what it did and balance shows the coins', async () => {
  const node = regtest.node();
  await node.mine(101);
  const [a0] = deriveAddresses(descriptor, { network: 'regtest', start: 0, count: 1 });
  await node.fund(a0?.address ?? '', 123_456_789n, { confirm: true });
  const db = join(dir, 'ok.db');
  assert.equal((await runCli(['--db', db, 'vault', 'add', '--name', 'Reserve', '--descriptor', descriptor], { env: rpcEnv('regtest') })).code, 0);
  const r = await runCli(['--db', db, 'sync', '--json'], { env: rpcEnv('regtest') });
  assert.equal(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout) as { vaults: Array<{ tipHeight: number; blocksProcessed: number; transactionsFound: number }> };
  assert.equal(s.vaults[0]?.tipHeight, node.height());
  assert.equal(s.vaults[0]?.blocksProcessed, node.height() + 1, 'from the birthday (genesis) to the tip');
  assert.equal(s.vaults[0]?.transactionsFound, 1);
  const bal = JSON.parse((await runCli(['--db', db, 'balance', '--json'], { env: rpcEnv('regtest') })).stdout) as { total: { confirmed: { sats: string; btc: string } } };
  assert.deepEqual(bal.total.confirmed, { sats: '123456789', btc: '1.23456789' });
  const again = JSON.parse((await runCli(['--db', db, 'sync', '--json'], { env: rpcEnv('regtest') })).stdout) as { vaults: Array<{ blocksProcessed: number }> };
  assert.equal(again.vaults[0]?.blocksProcessed, 0, 'a second sync has nothing to do');
});

test('sync walks the chain once for every vault: one vault at the tip, one from genesis, one summary of the walk', async () => {
  const node = regtest.node();
  const other = multisigDescriptor(2, [cosigner(94), cosigner(95), cosigner(96)]);
  const [b0] = deriveAddresses(other, { network: 'regtest', start: 0, count: 1 });
  await node.fund(b0?.address ?? '', 7_000_000n, { confirm: true });
  const db = join(dir, 'two.db');
  assert.equal((await runCli(['--db', db, 'vault', 'add', '--name', 'First', '--descriptor', descriptor, '--birthday', String(node.height())], { env: rpcEnv('regtest') })).code, 0);
  assert.equal((await runCli(['--db', db, 'sync', '--vault', 'First', '--json'], { env: rpcEnv('regtest') })).code, 0);
  await node.mine(2);
  assert.equal((await runCli(['--db', db, 'vault', 'add', '--name', 'Second', '--descriptor', other], { env: rpcEnv('regtest') })).code, 0);
  const r = await runCli(['--db', db, 'sync', '--json'], { env: rpcEnv('regtest') });
  assert.equal(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout) as { vaults: Array<{ vault: string; fromHeight: number; blocksProcessed: number; transactionsFound: number }>; blocksProcessed: number; walk: { fromHeight: number; blocksWalked: number } };
  assert.deepEqual(s.walk.fromHeight, 0, 'the walk starts at the lowest height a vault needs');
  assert.equal(s.walk.blocksWalked, node.height() + 1, 'each block once, not once per vault');
  assert.equal(s.blocksProcessed, s.walk.blocksWalked);
  const first = s.vaults.find((v) => v.vault === 'First');
  const second = s.vaults.find((v) => v.vault === 'Second');
  assert.equal(first?.blocksProcessed, 2, 'the vault at the tip joins for the two new blocks');
  assert.equal(second?.blocksProcessed, node.height() + 1);
  assert.equal(second?.transactionsFound, 1);
});

test('a testnet vault pointed at a regtest node is refused, saying which network each is', async () => {
  const db = join(dir, 'wrong.db');
  assert.equal((await runCli(['--db', db, 'vault', 'add', '--name', 'Reserve', '--descriptor', descriptor], { env: rpcEnv('test') })).code, 0);
  const r = await runCli(['--db', db, 'sync'], { env: rpcEnv('test') });
  assert.equal(r.code, EXIT_CODE_BY_ERROR.NETWORK_MISMATCH);
  assert.match(r.stderr, /regtest/);
  assert.match(r.stderr, /testnet/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
});

test('no chain source configured: one clear line', async () => {
  const db = join(dir, 'none.db');
  assert.equal((await runCli(['--db', db, 'vault', 'add', '--name', 'Reserve', '--descriptor', descriptor], { env: { SOBERANA_NETWORK: 'regtest' } })).code, 0);
  const r = await runCli(['--db', db, 'sync'], { env: { SOBERANA_NETWORK: 'regtest', SOBERANA_RPC_URL: '', SOBERANA_ESPLORA_URL: '' } });
  assert.equal(r.code, EXIT_CODE_BY_ERROR.INVALID_CONFIG);
  assert.match(r.stderr, /no chain source configured/);
});
