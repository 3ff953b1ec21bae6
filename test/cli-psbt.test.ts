// `soberana psbt inspect` and `soberana signer sign` through the CLI's compiled main(): JSON contract
// (amounts as strings of sats), base64 and binary .psbt input, human summary, and bad input
// as one INVALID_PSBT line with a non-zero exit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIP32Factory, type BIP32Interface } from 'bip32';
import * as ecc from '@bitcoinerlab/secp256k1';
import { checksum } from '@bitcoinerlab/descriptors';
import { Transaction, networks, payments } from 'bitcoinjs-lib';
import { sha256 } from '@noble/hashes/sha2.js';
import { cliInProcess } from './helpers/cli.ts';
import { EXIT_CODE_BY_ERROR } from '../src/cli/exit-codes.ts';
import { createPsbt, decodePsbt, unsignedTransaction, vaultOutput } from '../src/core/bitcoin/psbt.ts';

/** The CLI's main(), run in-process (see cliInProcess): this file tests what the commands do, not the process. */
const runCli = cliInProcess();

const BIP32 = BIP32Factory(ecc);
const dir = mkdtempSync(join(tmpdir(), 'soberana-psbt-cli-'));
const db = join(dir, 'cli.db');
const keys = ['one', 'two', 'three'].map((l) => BIP32.fromSeed(sha256(new TextEncoder().encode(`cli ${l}`)), networks.regtest));
const expr = (m: BIP32Interface): string => `[${Buffer.from(m.fingerprint).toString('hex')}/48'/1'/0'/2']${m.derivePath("m/48'/1'/0'/2'").neutered().toBase58()}/<0;1>/*`;
const body = `wsh(sortedmulti(2,${keys.map(expr).join(',')}))`;
const descriptor = `${body}#${checksum(body)}`;
const payee = payments.p2wpkh({ pubkey: BIP32.fromSeed(new Uint8Array(32).fill(9)).publicKey, network: networks.regtest }).address ?? '';

const prev = new Transaction();
prev.addInput(new Uint8Array(32).fill(3), 0);
prev.addOutput(vaultOutput(descriptor, 'regtest', 0, 4).getScriptPubKey(), 500_000n);
const unsigned = createPsbt({
  network: 'regtest',
  descriptor,
  inputs: [{ txid: prev.getId(), vout: 0, value: 500_000n, change: false, index: 4 }],
  outputs: [{ address: payee, value: 300_000n }, { change: true, index: 0, value: 199_000n }],
});
const binFile = join(dir, 'unsigned.psbt');
writeFileSync(binFile, Buffer.from(unsigned, 'base64'));

interface Inspected {
  version: number;
  txid: string;
  inputs: { outpoint: string; value: string; signatures: number; required: number; finalized: boolean }[];
  outputs: { address: string; value: string; ours: boolean; change: boolean }[];
  fee: string;
  feeRate: number;
  complete: boolean;
}

const G = ['--db', db, '--network', 'regtest'];

test('psbt inspect --json: inputs, outputs (ours/change), fee as strings of sats', async () => {
  const r = await runCli([...G, '--json', 'psbt', 'inspect', unsigned, '--descriptor', descriptor]);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as Inspected;
  assert.equal(j.version, 0);
  assert.equal(j.txid, unsignedTransaction(decodePsbt(unsigned, 'regtest').psbt).getId());
  assert.deepEqual(j.inputs, [{ outpoint: `${prev.getId()}:0`, value: '500000', signatures: 0, required: 2, finalized: false }]);
  assert.deepEqual(j.outputs, [
    { address: payee, value: '300000', ours: false, change: false, auditAnchor: null },
    { address: vaultOutput(descriptor, 'regtest', 1, 0).getAddress(), value: '199000', ours: true, change: true, auditAnchor: null },
  ]);
  assert.equal(j.fee, '1000');
  assert.equal(typeof j.feeRate, 'number');
  assert.ok(j.feeRate > 1 && j.feeRate < 10, `fee rate ${j.feeRate}`);
  assert.equal(j.complete, false);
});

test('psbt inspect reads a binary .psbt file; without the descriptor nothing is claimed as ours', async () => {
  const r = await runCli([...G, '--json', 'psbt', 'inspect', binFile]);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as Inspected;
  assert.equal(j.outputs.length, 2);
  assert.ok(j.outputs.every((o) => !o.ours && !o.change));
});

test('signer sign writes a binary partial PSBT; inspect then shows 1 of 2 signatures in human form', async () => {
  const keyFile = join(dir, 'one.tprv');
  const key = keys[0];
  assert.ok(key);
  writeFileSync(keyFile, key.toBase58() + '\n');
  const out = join(dir, 'one.psbt');
  const s = await runCli([...G, 'signer', 'sign', '--xprv-file', keyFile, '--out', out, binFile]);
  assert.equal(s.code, 0, s.stderr);
  assert.match(s.stdout, /1 signature added/);
  assert.deepEqual([...readFileSync(out).subarray(0, 5)], [0x70, 0x73, 0x62, 0x74, 0xff]);
  const r = await runCli([...G, 'psbt', 'inspect', out, '--descriptor', descriptor]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /signatures 1\/2/);
  assert.match(r.stdout, /\(change\)/);
  assert.match(r.stdout, /complete: no \(input 0 has 1 of 2 signatures\)/);
  // base64 to stdout when no --out is given
  const b = await runCli([...G, 'signer', 'sign', '--xprv-file', keyFile, binFile]);
  assert.equal(b.code, 0, b.stderr);
  assert.match(b.stdout.trim(), /^cHNidP8[A-Za-z0-9+/=]+$/);
});

test('bad PSBT input: one line, INVALID_PSBT, non-zero exit', async () => {
  for (const bad of ['bm90IGEgcHNidA==', 'cHNidP8BAA==']) {
    const r = await runCli([...G, 'psbt', 'inspect', bad]);
    assert.equal(r.code, EXIT_CODE_BY_ERROR.INVALID_PSBT, bad);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    const j = await runCli([...G, '--json', 'psbt', 'inspect', bad]);
    assert.equal((JSON.parse(j.stderr) as { error: { code: string } }).error.code, 'INVALID_PSBT');
  }
});

test('psbt inspect reads a BIP370 v2 PSBT (version 2 in the output)', async () => {
  const v2 = (JSON.parse(readFileSync(join(import.meta.dirname, 'vectors', 'bip370.json'), 'utf8')) as { valid: { base64: string }[] }).valid[1];
  assert.ok(v2);
  const r = await runCli([...G, '--network', 'test', '--json', 'psbt', 'inspect', v2.base64]);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as Inspected;
  assert.equal(j.version, 2);
  assert.equal(j.inputs.length, 1);
  assert.equal(j.outputs.length, 2);
  assert.equal(j.txid, unsignedTransaction(decodePsbt(v2.base64, 'test').psbt).getId());
});
