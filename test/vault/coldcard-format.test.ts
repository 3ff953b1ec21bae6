// Coldcard multisig setup file ↔ the common wallet model: Caravan's Coldcard-format fixtures,
// header spellings, per-key derivations, and SLIP-132 (Ypub/Zpub/Upub/Vpub) keys converted to
// xpub/tpub with the bip32 library as the oracle.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIP32Factory } from 'bip32';
import * as ecc from '@bitcoinerlab/secp256k1';
import { networks } from 'bitcoinjs-lib';
import { parseColdcard, toColdcard } from '../../src/core/vault/formats/coldcard.ts';
import { parseCaravan } from '../../src/core/vault/formats/caravan.ts';
import { deriveAddress } from '../../src/core/vault/formats/wallet-config.ts';
import { convertExtendedPublicKey, decodeExtendedPublicKey, EXTENDED_PUBLIC_VERSIONS } from '../../src/core/vault/formats/slip132.ts';
import type { ExtendedKeyPrefix } from '../../src/core/vault/formats/slip132.ts';

const bip32 = BIP32Factory(ecc);
const DIR = join(import.meta.dirname, '..', 'vectors', 'interop');
const read = (f: string): string => readFileSync(join(DIR, f), 'utf8');
const known = JSON.parse(read('caravan-known-addresses.json')) as { wallets: { caravan_json: string; receive: string[] }[] };

const PAIRS = [
  ['caravan/wc-p2wsh_m.coldcard.txt', 'caravan/bitcoin-2-of-2-P2WSH_MAINNET.json'],
  ['caravan/wc-p2sh-p2wsh_t.coldcard.txt', 'caravan/bitcoin-2-of-2-P2SH-P2WSH_TESTNET.json'],
] as const;

for (const [cc, caravan] of PAIRS) {
  test(`${cc} describes the same wallet as its Caravan twin and derives BDK's addresses`, () => {
    const a = parseColdcard(read(cc));
    const b = parseCaravan(read(caravan));
    assert.equal(a.network, b.network);
    assert.equal(a.scriptType, b.scriptType);
    assert.equal(a.threshold, b.threshold);
    const strip = (ks: typeof a.keys): string[] => ks.map((k) => `${k.fingerprint}|${k.path}|${k.xpub}`).sort();
    assert.deepEqual(strip(a.keys), strip(b.keys));
    const receive = known.wallets.find((w) => w.caravan_json === caravan)?.receive ?? [];
    assert.equal(receive.length, 3);
    receive.forEach((addr, i) => assert.equal(deriveAddress(a.descriptor, a.network, 0, i), addr));
  });
}

test('Format P2WSH-P2SH (Caravan fixture spelling) and P2SH-P2WSH (Coldcard export) are the same script type', () => {
  const text = read('caravan/wc-p2sh-p2wsh_t.coldcard.txt');
  assert.match(text, /Format: P2WSH-P2SH/);
  assert.equal(parseColdcard(text).scriptType, 'p2sh-p2wsh');
  assert.equal(parseColdcard(text.replace('P2WSH-P2SH', 'P2SH-P2WSH')).scriptType, 'p2sh-p2wsh');
  assert.equal(parseColdcard(text.replace('P2WSH-P2SH', 'p2sh-p2wsh')).scriptType, 'p2sh-p2wsh');
});

test('a file without a Format line is P2SH, as Coldcard\'s own P2SH export', () => {
  const text = read('caravan/wc-p2wsh_m.coldcard.txt').replace(/^Format:.*$/m, '');
  assert.equal(parseColdcard(text).scriptType, 'p2sh');
});

test('headers in any order, "M/N" policy, upper-case fingerprints and CRLF line ends are accepted', () => {
  const text = [
    'Derivation: m/48h/0h/100h/2h', 'Format: P2WSH', 'Policy: 2/2', 'Name: crlf',
    'F57EC65D: xpub6DcqYQxnbefzFkaRBK63FSE2GzNuNnNhFGw1xV9RioVG7av6r3JDf1aELqBSq5gt5487CtNxvVtaiJjQU2HQWzgG5NzLyTPbYav6otW8qEc',
    '00000006: xpub6EwJjKaiocGvqSuM2jRZSuQ9HEddiFUFu9RdjE47zG7kXVNDQpJ3GyvskwYiLmvU4SBTNZyv8UH53QcmFEE23YwozE61V3dwzZJEFQr6H2b',
  ].join('\r\n');
  const cfg = parseColdcard(text);
  assert.equal(cfg.name, 'crlf');
  assert.equal(cfg.keys[0]?.fingerprint, 'f57ec65d');
  assert.equal(cfg.keys[0]?.path, "m/48'/0'/100'/2'");
  assert.equal(deriveAddress(cfg.descriptor, 'main', 0, 0), known.wallets[0]?.receive[0]);
});

test('per-key "# derivation:" lines override the shared Derivation and are written back when paths differ', () => {
  const text = [
    'Name: mixed', 'Policy: 2 of 2', 'Derivation: m/48\'/0\'/100\'/2\'', 'Format: P2WSH', '',
    '# derivation: m/48\'/0\'/7\'/2\'',
    'F57EC65D: xpub6DcqYQxnbefzFkaRBK63FSE2GzNuNnNhFGw1xV9RioVG7av6r3JDf1aELqBSq5gt5487CtNxvVtaiJjQU2HQWzgG5NzLyTPbYav6otW8qEc',
    '00000006: xpub6EwJjKaiocGvqSuM2jRZSuQ9HEddiFUFu9RdjE47zG7kXVNDQpJ3GyvskwYiLmvU4SBTNZyv8UH53QcmFEE23YwozE61V3dwzZJEFQr6H2b',
  ].join('\n');
  const cfg = parseColdcard(text);
  assert.deepEqual(cfg.keys.map((k) => k.path), ["m/48'/0'/7'/2'", "m/48'/0'/100'/2'"]);
  const out = toColdcard(cfg);
  assert.doesNotMatch(out, /^Derivation:/m);
  assert.equal((out.match(/^# derivation: /gm) ?? []).length, 2);
  assert.deepEqual(parseColdcard(out), cfg);
});

test('the export is a file Coldcard reads: Name, Policy, Derivation, Format, then FINGERPRINT: xpub lines', () => {
  const cfg = parseCaravan(read('caravan/bitcoin-2-of-2-P2WSH_MAINNET.json'));
  const out = toColdcard(cfg);
  const lines = out.trimEnd().split('\n').filter((l) => l !== '' && !l.startsWith('#'));
  assert.deepEqual(lines.slice(0, 4), ['Name: P2WSH-M', 'Policy: 2 of 2', "Derivation: m/48'/0'/100'/2'", 'Format: P2WSH']);
  assert.deepEqual(lines.slice(4), cfg.keys.map((k) => `${k.fingerprint.toUpperCase()}: ${k.xpub}`));
});

// ---- SLIP-132 ------------------------------------------------------------------------------

const SEED = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex'); // BIP32 test vector 1 seed

function encodeWith(prefix: ExtendedKeyPrefix, path: string): { slip: string; plain: string } {
  const base = EXTENDED_PUBLIC_VERSIONS[prefix].chain === 'main' ? networks.bitcoin : networks.testnet;
  const slipNet = { ...base, bip32: { public: EXTENDED_PUBLIC_VERSIONS[prefix].version, private: base.bip32.private } };
  const slip = bip32.fromSeed(SEED, slipNet).derivePath(path).neutered().toBase58();
  const plain = bip32.fromSeed(SEED, base).derivePath(path).neutered().toBase58();
  return { slip, plain };
}

test('every SLIP-132 public prefix decodes to the BIP32 key bip32 encodes for the same node', () => {
  for (const prefix of Object.keys(EXTENDED_PUBLIC_VERSIONS) as ExtendedKeyPrefix[]) {
    const { slip, plain } = encodeWith(prefix, "m/48'/1'/0'/2'");
    assert.ok(slip.startsWith(prefix), `${prefix}: bip32 wrote ${slip.slice(0, 4)}`);
    const d = decodeExtendedPublicKey(slip);
    assert.equal(d.prefix, prefix);
    assert.equal(d.xpub, plain, prefix);
    assert.equal(convertExtendedPublicKey(plain, prefix), slip, `${prefix}: re-encoding`);
  }
});

test('a Coldcard file with Zpub keys imports as the same wallet with xpub keys; Vpub/Upub go to tpub', () => {
  const cfgX = parseCaravan(read('caravan/bitcoin-2-of-2-P2WSH_MAINNET.json'));
  const zText = toColdcard(cfgX).replace(/xpub\w+/g, (x) => convertExtendedPublicKey(x, 'Zpub'));
  assert.match(zText, /: Zpub/);
  assert.equal(parseColdcard(zText).descriptor, parseColdcard(toColdcard(cfgX)).descriptor);

  const cfgT = parseCaravan(read('caravan/bitcoin-2-of-2-P2SH-P2WSH_TESTNET.json'));
  for (const prefix of ['Vpub', 'Upub'] as const) {
    const t = toColdcard(cfgT).replace(/tpub\w+/g, (x) => convertExtendedPublicKey(x, prefix));
    assert.deepEqual(parseColdcard(t).keys.map((k) => k.xpub), cfgT.keys.map((k) => k.xpub));
  }
});

test('SLIP-132 conversion refuses to move a key to the other chain and refuses private keys', () => {
  const { plain } = encodeWith('xpub', 'm/0');
  assert.throws(() => convertExtendedPublicKey(plain, 'Vpub'), (e: unknown) => e instanceof Error && 'code' in e && e.code === 'NETWORK_MISMATCH');
  const xprv = bip32.fromSeed(SEED).toBase58();
  assert.throws(() => decodeExtendedPublicKey(xprv), (e: unknown) => e instanceof Error && 'code' in e && e.code === 'INVALID_IMPORT');
});
