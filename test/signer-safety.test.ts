// The regtest software signer never leaks its key and refuses mainnet keys unless told
// otherwise: through the real binary, errors name the key file, never its content.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIP32Factory } from 'bip32';
import * as ecc from '@bitcoinerlab/secp256k1';
import { checksum } from '@bitcoinerlab/descriptors';
import { Transaction, networks, payments } from 'bitcoinjs-lib';
import { sha256 } from '@noble/hashes/sha2.js';
import { runCli } from './helpers/cli.ts';
import { EXIT_CODE_BY_ERROR } from '../src/cli/exit-codes.ts';
import { isDomainError } from '../src/core/errors.ts';
import { createPsbt, decodePsbt, vaultOutput } from '../src/core/bitcoin/psbt.ts';
import { parseExtendedPrivateKey, signPsbtWithKey } from '../src/adapters/signers/software-signer.ts';
import type { Network } from '../src/core/network.ts';

const BIP32 = BIP32Factory(ecc);
const dir = mkdtempSync(join(tmpdir(), 'soberana-signer-'));
const G = ['--db', join(dir, 'cli.db')];

function vaultPsbt(network: Network): { psbt: string; keys: string[] } {
  const net = network === 'main' ? networks.bitcoin : networks.regtest;
  const coin = network === 'main' ? 0 : 1;
  const masters = ['a', 'b', 'c'].map((l) => BIP32.fromSeed(sha256(new TextEncoder().encode(`safety ${network} ${l}`)), net));
  const exprs = masters.map((m) => `[${Buffer.from(m.fingerprint).toString('hex')}/48'/${coin}'/0'/2']${m.derivePath(`m/48'/${coin}'/0'/2'`).neutered().toBase58()}/<0;1>/*`);
  const body = `wsh(sortedmulti(2,${exprs.join(',')}))`;
  const descriptor = `${body}#${checksum(body)}`;
  const prev = new Transaction();
  prev.addInput(new Uint8Array(32).fill(5), 0);
  prev.addOutput(vaultOutput(descriptor, network, 0, 0).getScriptPubKey(), 100_000n);
  const payee = payments.p2wpkh({ pubkey: BIP32.fromSeed(new Uint8Array(32).fill(8)).publicKey, network: net }).address ?? '';
  const psbt = createPsbt({ network, descriptor, inputs: [{ txid: prev.getId(), vout: 0, value: 100_000n, change: false, index: 0 }], outputs: [{ address: payee, value: 99_000n }] });
  return { psbt, keys: masters.map((m) => m.toBase58()) };
}

const regtest = vaultPsbt('regtest');
const mainnet = vaultPsbt('main');
const regtestFile = join(dir, 'regtest.psbt');
const mainnetFile = join(dir, 'mainnet.psbt');
writeFileSync(regtestFile, regtest.psbt);
writeFileSync(mainnetFile, Buffer.from(mainnet.psbt, 'base64'));

function assertNoKeyMaterial(text: string, secret: string): void {
  assert.ok(!text.includes(secret), 'output contains the key file content');
  // no 20+ character run of the secret either (a truncated echo would still leak)
  for (let i = 0; i + 20 <= secret.length; i += 10) assert.ok(!text.includes(secret.slice(i, i + 20)), 'output contains part of the key');
}

test('a malformed key file: the error names the file, never its content', async () => {
  const realKey = regtest.keys[0] ?? '';
  // one character changed: base58check fails, but the text is as sensitive as a real key
  const corrupted = realKey.slice(0, 40) + (realKey[40] === 'A' ? 'B' : 'A') + realKey.slice(41);
  const keyFile = join(dir, 'corrupt.tprv');
  writeFileSync(keyFile, corrupted + '\n');
  for (const json of [false, true]) {
    const r = await runCli([...G, ...(json ? ['--json'] : []), 'signer', 'sign', '--xprv-file', keyFile, regtestFile]);
    assert.equal(r.code, EXIT_CODE_BY_ERROR.INVALID_ARGUMENT);
    assert.equal(r.stdout, '');
    assert.ok(r.stderr.includes(keyFile), r.stderr);
    assertNoKeyMaterial(r.stderr, corrupted);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  }
});

test('an extended public key instead of a private one is refused without echoing it', async () => {
  const xpub = BIP32.fromBase58(regtest.keys[1] ?? '', networks.regtest).neutered().toBase58();
  const keyFile = join(dir, 'public.tpub');
  writeFileSync(keyFile, xpub);
  const r = await runCli([...G, 'signer', 'sign', '--xprv-file', keyFile, regtestFile]);
  assert.equal(r.code, EXIT_CODE_BY_ERROR.INVALID_ARGUMENT);
  assert.match(r.stderr, /not a private key/);
  assertNoKeyMaterial(r.stderr, xpub);
});

test('a mainnet key is refused unless --hot-key-on-mainnet, and the key never reaches the output', async () => {
  const secret = mainnet.keys[0] ?? '';
  const keyFile = join(dir, 'main.xprv');
  writeFileSync(keyFile, secret);
  const refused = await runCli([...G, 'signer', 'sign', '--xprv-file', keyFile, mainnetFile]);
  assert.equal(refused.code, EXIT_CODE_BY_ERROR.FORBIDDEN);
  assert.match(refused.stderr, /mainnet private key/);
  assertNoKeyMaterial(refused.stderr + refused.stdout, secret);

  const allowed = await runCli([...G, '--json', 'signer', 'sign', '--hot-key-on-mainnet', '--xprv-file', keyFile, mainnetFile]);
  assert.equal(allowed.code, 0, allowed.stderr);
  assertNoKeyMaterial(allowed.stderr + allowed.stdout, secret);
  const j = JSON.parse(allowed.stdout) as { psbt: string; signatures: number };
  assert.equal(j.signatures, 1);
  assert.equal(decodePsbt(j.psbt, 'main').psbt.data.inputs[0]?.partialSig?.length, 1);
  assertNoKeyMaterial(Buffer.from(j.psbt, 'base64').toString('latin1'), secret);
});

test('in-process: the mainnet refusal holds, a key that signs nothing is an error, signatures are SIGHASH_ALL', () => {
  const mainKey = parseExtendedPrivateKey(mainnet.keys[1] ?? '', 'k');
  assert.equal(mainKey.mainnet, true);
  assert.throws(() => signPsbtWithKey(mainnet.psbt, mainKey), (e: unknown) => isDomainError(e) && e.code === 'FORBIDDEN');
  const stranger = parseExtendedPrivateKey(BIP32.fromSeed(new Uint8Array(32).fill(1), networks.regtest).toBase58(), 'k');
  assert.throws(() => signPsbtWithKey(regtest.psbt, stranger), (e: unknown) => isDomainError(e) && e.code === 'INVALID_ARGUMENT');
  const signed = signPsbtWithKey(regtest.psbt, parseExtendedPrivateKey(regtest.keys[2] ?? '', 'k'));
  const sig = decodePsbt(signed.psbt, 'regtest').psbt.data.inputs[0]?.partialSig?.[0]?.signature;
  assert.equal(sig?.[sig.length - 1], 0x01);
  // signing twice with the same key adds nothing
  assert.throws(() => signPsbtWithKey(signed.psbt, parseExtendedPrivateKey(regtest.keys[2] ?? '', 'k')), (e: unknown) => isDomainError(e) && e.code === 'INVALID_ARGUMENT');
});
