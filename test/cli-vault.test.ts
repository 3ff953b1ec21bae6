// The vault commands through the CLI's main() (in-process: see cliInProcess): register, list, show, export to every format and
// import back (refused while the same descriptor is registered: its coins would count twice),
// published address lists checked against the network, BIP-329 labels round-trip.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliInProcess } from './helpers/cli.ts';
import { cosigner, multisigDescriptor } from './helpers/vault-keys.ts';
import { EXIT_CODE_BY_ERROR } from '../src/cli/exit-codes.ts';

const runCli = cliInProcess();
const dir = mkdtempSync(join(tmpdir(), 'soberana-cli-vault-'));
const signers = [cosigner(11), cosigner(12), cosigner(13)];
const descriptor = multisigDescriptor(2, signers);
const env = { SOBERANA_NETWORK: 'regtest' };

test('vault add, list, show, address new', async () => {
  const db = join(dir, 'a.db');
  const holders = signers.map((s, i) => ['--holder', `${s.fingerprint}=${['Ministry of Finance', 'Central Reserve Bank', 'Bitcoin Office'][i]}`]).flat();
  const add = await runCli(['--db', db, 'vault', 'add', '--name', 'El Salvador Reserve', '--descriptor', descriptor, '--birthday', '2021-09-01', ...holders, '--json'], { env });
  assert.equal(add.code, 0, add.stderr);
  const v = JSON.parse(add.stdout) as { id: string; threshold: number; keys: Array<{ holder: string }> };
  assert.equal(v.id, 'el-salvador-reserve');
  assert.equal(v.threshold, 2);
  assert.deepEqual(v.keys.map((k) => k.holder).sort(), ['Bitcoin Office', 'Central Reserve Bank', 'Ministry of Finance']);
  const list = JSON.parse((await runCli(['--db', db, 'vault', 'list', '--json'], { env })).stdout) as Array<{ id: string; balance: { confirmed: string } }>;
  assert.deepEqual(list.map((x) => [x.id, x.balance.confirmed]), [['el-salvador-reserve', '0']]);
  const a1 = JSON.parse((await runCli(['--db', db, 'address', 'new', '--vault', 'El Salvador Reserve', '--json'], { env })).stdout) as { index: number; address: string };
  const a2 = JSON.parse((await runCli(['--db', db, 'address', 'new', '--vault', 'el-salvador-reserve', '--json'], { env })).stdout) as { index: number; address: string };
  assert.deepEqual([a1.index, a2.index], [0, 1], 'each call reserves the next unused address');
  assert.match(a1.address, /^bcrt1q/);
  const unknown = await runCli(['--db', db, 'vault', 'show', 'nope'], { env });
  assert.equal(unknown.code, EXIT_CODE_BY_ERROR.VAULT_NOT_FOUND);
  assert.match(unknown.stderr, /no vault "nope" \(known: El Salvador Reserve\)/);
});

test('export to every format, and import each into a fresh database as the same descriptor', async () => {
  const db = join(dir, 'b.db');
  assert.equal((await runCli(['--db', db, 'vault', 'add', '--name', 'Reserve', '--descriptor', descriptor], { env })).code, 0);
  for (const format of ['descriptor', 'caravan', 'coldcard', 'bsms']) {
    const file = join(dir, `export.${format}`);
    const ex = await runCli(['--db', db, 'vault', 'export', 'reserve', '--format', format, '--out', file], { env });
    assert.equal(ex.code, 0, ex.stderr);
    const again = await runCli(['--db', db, 'vault', 'import', file, '--name', `copy-${format}`], { env });
    assert.equal(again.code, EXIT_CODE_BY_ERROR.ALREADY_EXISTS, `${format}: re-importing the same keys is refused`);
    const fresh = join(dir, `fresh-${format}.db`);
    const im = await runCli(['--db', fresh, 'vault', 'import', file, '--json'], { env });
    assert.equal(im.code, 0, im.stderr);
    assert.equal((JSON.parse(im.stdout) as { descriptor: string }).descriptor, descriptor, `${format} round-trips to the same descriptor`);
  }
});

test('an import for another network is refused with the reason', async () => {
  const db = join(dir, 'c.db');
  assert.equal((await runCli(['--db', db, 'vault', 'add', '--name', 'Reserve', '--descriptor', descriptor], { env })).code, 0);
  const file = join(dir, 'net.caravan');
  assert.equal((await runCli(['--db', db, 'vault', 'export', 'reserve', '--format', 'caravan', '--out', file], { env })).code, 0);
  const r = await runCli(['--db', join(dir, 'main.db'), '--network', 'main', 'vault', 'import', file]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /regtest|testnet|tpub|network/i);
  assert.equal(r.stderr.trim().split('\n').length, 1);
});

test('a published address list: mainnet addresses on a mainnet vault, refused on regtest', async () => {
  const csv = join(dir, 'es.csv');
  writeFileSync(csv, 'index,address,note\n0,32ixEdVJWo3kmvJGMTZq5jAQVZZeuwnqzo,"cold wallet, revealed 2024"\n1,3Fh6QjPzfu2LWYxVYqRZ45QPTja1PrFmNC,x\n');
  const ok = await runCli(['--db', join(dir, 'd.db'), '--network', 'main', 'vault', 'add', '--name', 'El Salvador (published)', '--addresses', csv, '--json']);
  assert.equal(ok.code, 0, ok.stderr);
  const addrs = JSON.parse((await runCli(['--db', join(dir, 'd.db'), 'addresses', '--vault', 'el-salvador-published', '--json'])).stdout) as Array<{ address: string; scriptPubKey: string }>;
  assert.deepEqual(addrs.map((a) => a.scriptPubKey), ['a9140b55e104bb614b309d85efac36703194ff2d830287', 'a91499958175664828a0b123c060db855e7458d5410987']);
  const bad = await runCli(['--db', join(dir, 'e.db'), '--network', 'regtest', 'vault', 'add', '--name', 'x', '--addresses', csv]);
  assert.equal(bad.code, EXIT_CODE_BY_ERROR.NETWORK_MISMATCH);
  assert.match(bad.stderr, /32ixEdVJWo3kmvJGMTZq5jAQVZZeuwnqzo is for mainnet, not regtest/);
});

test('BIP-329 labels import and export round-trip', async () => {
  const db = join(dir, 'f.db');
  const jsonl = [
    '{"type":"tx","ref":"f91d0a8a78462bc59398f2c5d7a84fcff491c26ba54c4833478b202796c8aafd","label":"Purchase 2021-09-06","origin":"wsh(sortedmulti(2,…))"}',
    '{"type":"addr","ref":"bcrt1qkpad42v3wkkt9hfww7vs7udr72pm32vyz5kgphkjm5m3z57pgz0swjhzs8","label":"Cold storage 1"}',
    '{"type":"output","ref":"f91d0a8a78462bc59398f2c5d7a84fcff491c26ba54c4833478b202796c8aafd:1","label":"frozen for audit","spendable":false}',
  ].join('\n') + '\n';
  const file = join(dir, 'labels.jsonl');
  writeFileSync(file, jsonl);
  const im = await runCli(['--db', db, 'labels', 'import', file, '--json'], { env });
  assert.equal(im.code, 0, im.stderr);
  assert.equal((JSON.parse(im.stdout) as { imported: number }).imported, 3);
  const out = join(dir, 'labels-out.jsonl');
  assert.equal((await runCli(['--db', db, 'labels', 'export', '--out', out], { env })).code, 0);
  const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(lines.length, 3);
  assert.deepEqual(lines.find((l) => l.type === 'output'), { type: 'output', ref: 'f91d0a8a78462bc59398f2c5d7a84fcff491c26ba54c4833478b202796c8aafd:1', label: 'frozen for audit', spendable: false });
  const bad = join(dir, 'bad.jsonl');
  writeFileSync(bad, '{"type":"tx","ref":"nothex","label":"x"}\n');
  const r = await runCli(['--db', db, 'labels', 'import', bad], { env });
  assert.equal(r.code, EXIT_CODE_BY_ERROR.INVALID_IMPORT);
  assert.match(r.stderr, /line 1/);
});
