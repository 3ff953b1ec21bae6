// Payment destinations refuse witness versions 2–16 (BIP141: anyone can spend such outputs until
// a soft fork defines the version), unless explicitly allowed; reading addresses is unaffected.
// Addresses are BIP350's valid test vectors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hex } from '@scure/base';
import { BIP32Factory } from 'bip32';
import * as ecc from '@bitcoinerlab/secp256k1';
import { checksum } from '@bitcoinerlab/descriptors';
import { Transaction, networks } from 'bitcoinjs-lib';
import { sha256 } from '@noble/hashes/sha2.js';
import { isDomainError, type ErrorCode } from '../../src/core/errors.ts';
import { addressToScript, paymentScript, witnessVersionOf } from '../../src/core/bitcoin/address.ts';
import { createPsbt, vaultOutput } from '../../src/core/bitcoin/psbt.ts';

function refusal(fn: () => unknown): { code: ErrorCode | 'none'; message: string } {
  try {
    fn();
    return { code: 'none', message: '' };
  } catch (e) {
    if (isDomainError(e)) return { code: e.code, message: e.message };
    throw e;
  }
}

const V2 = 'bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs';
const V16 = 'BC1SW50QGDZ25J';
const V0 = 'BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4';
const V1 = 'bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0';

test('witness v0 and v1 addresses are payment destinations', () => {
  assert.equal(hex.encode(paymentScript(V0, 'main')), '0014751e76e8199196d454941c45d1b3a323f1433bd6');
  assert.equal(hex.encode(paymentScript(V1, 'main')), '512079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798');
  assert.equal(witnessVersionOf(paymentScript(V1, 'main')), 1);
});

test('witness v2–v16 addresses are refused as destinations (INVALID_ADDRESS), without the library warning on the console', () => {
  const warnings: unknown[] = [];
  const warn = console.warn;
  console.warn = (...a: unknown[]) => warnings.push(a);
  try {
    for (const [addr, v] of [[V2, 2], [V16, 16]] as const) {
      const r = refusal(() => paymentScript(addr, 'main'));
      assert.equal(r.code, 'INVALID_ADDRESS');
      assert.match(r.message, new RegExp(`witness version ${v} address: .*anyone could spend`));
    }
  } finally {
    console.warn = warn;
  }
  assert.deepEqual(warnings, []);
});

test('allowFutureWitnessVersion: true accepts them; addressToScript (reading chain data) always does', () => {
  assert.equal(hex.encode(paymentScript(V2, 'main', { allowFutureWitnessVersion: true })), '5210751e76e8199196d454941c45d1b3a323');
  assert.equal(hex.encode(paymentScript(V16, 'main', { allowFutureWitnessVersion: true })), '6002751e');
  assert.equal(hex.encode(addressToScript(V2, 'main')), '5210751e76e8199196d454941c45d1b3a323');
  assert.equal(witnessVersionOf(addressToScript(V16, 'main')), 16);
  assert.equal(witnessVersionOf(hex.decode('76a914751e76e8199196d454941c45d1b3a323f1433bd688ac')), null);
});

test('other networks and non-addresses keep their codes', () => {
  assert.equal(refusal(() => paymentScript('tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx', 'main')).code, 'NETWORK_MISMATCH');
  assert.equal(refusal(() => paymentScript('bc1qnotanaddress', 'main')).code, 'INVALID_ADDRESS');
});

test('createPsbt refuses a witness v2 payment unless allowed', () => {
  const BIP32 = BIP32Factory(ecc);
  const keys = ['a', 'b', 'c'].map((l) => {
    const m = BIP32.fromSeed(sha256(new TextEncoder().encode(`wv ${l}`)), networks.bitcoin);
    return `[${Buffer.from(m.fingerprint).toString('hex')}/48'/0'/0'/2']${m.derivePath("m/48'/0'/0'/2'").neutered().toBase58()}/<0;1>/*`;
  });
  const body = `wsh(sortedmulti(2,${keys.join(',')}))`;
  const descriptor = `${body}#${checksum(body)}`;
  const f = new Transaction();
  f.addInput(new Uint8Array(32).fill(3), 0);
  f.addOutput(vaultOutput(descriptor, 'main', 0, 0).getScriptPubKey(), 50_000n);
  const base = { network: 'main' as const, descriptor, inputs: [{ txid: f.getId(), vout: 0, value: 50_000n, change: false, index: 0 }] };
  assert.equal(refusal(() => createPsbt({ ...base, outputs: [{ address: V2, value: 40_000n }] })).code, 'INVALID_ADDRESS');
  assert.equal(refusal(() => createPsbt({ ...base, outputs: [{ address: V0, value: 40_000n }] })).code, 'none');
  assert.equal(refusal(() => createPsbt({ ...base, allowFutureWitnessVersion: true, outputs: [{ address: V2, value: 40_000n }] })).code, 'none');
});
