// Caravan wallet-config JSON ↔ the common wallet model, checked against Caravan's own fixtures
// and against receive addresses that BDK (rust-miniscript) asserts for the same wallets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCaravan, toCaravan } from '../../src/core/vault/formats/caravan.ts';
import { deriveAddress, makeWalletConfig } from '../../src/core/vault/formats/wallet-config.ts';
import { oracleAddress } from './multisig-oracle.ts';

const DIR = join(import.meta.dirname, '..', 'vectors', 'interop');
const read = (f: string): string => readFileSync(join(DIR, f), 'utf8');
const known = JSON.parse(read('caravan-known-addresses.json')) as { wallets: { caravan_json: string; receive: string[] }[] };

test('the P2WSH mainnet fixture becomes a 2-of-2 wsh(sortedmulti) wallet with every key, path and fingerprint', () => {
  const cfg = parseCaravan(read('caravan/bitcoin-2-of-2-P2WSH_MAINNET.json'));
  assert.equal(cfg.name, 'P2WSH-M');
  assert.equal(cfg.network, 'main');
  assert.equal(cfg.scriptType, 'p2wsh');
  assert.equal(cfg.threshold, 2);
  assert.deepEqual(cfg.keys.map((k) => [k.name, k.fingerprint, k.path]), [
    ['six', '00000006', "m/48'/0'/100'/2'"],
    ['osw', 'f57ec65d', "m/48'/0'/100'/2'"],
  ]);
  assert.match(cfg.descriptor, /^wsh\(sortedmulti\(2,\[00000006\/48h\/0h\/100h\/2h\]xpub6EwJ.*\/<0;1>\/\*,\[f57ec65d\/48h\/0h\/100h\/2h\]xpub6Dcq.*\/<0;1>\/\*\)\)#[a-z0-9]{8}$/);
});

test('the P2SH-P2WSH testnet fixture becomes sh(wsh(sortedmulti)) on test', () => {
  const cfg = parseCaravan(read('caravan/bitcoin-2-of-2-P2SH-P2WSH_TESTNET.json'));
  assert.equal(cfg.network, 'test');
  assert.equal(cfg.scriptType, 'p2sh-p2wsh');
  assert.ok(cfg.descriptor.startsWith('sh(wsh(sortedmulti(2,[f57ec65d/48h/1h/100h/1h]tpubDFc9'));
});

for (const w of known.wallets) {
  test(`${w.caravan_json}: the descriptor's first receive addresses are the ones BDK derives for this wallet`, () => {
    const cfg = parseCaravan(read(w.caravan_json));
    w.receive.forEach((addr, i) => assert.equal(deriveAddress(cfg.descriptor, cfg.network, 0, i), addr, `receive ${i}`));
  });

  test(`${w.caravan_json}: receive and change addresses agree with an independent bip32 + bitcoinjs derivation`, () => {
    const cfg = parseCaravan(read(w.caravan_json));
    if (cfg.scriptType === 'p2tr') throw new Error('fixture is not p2tr');
    for (const change of [0, 1] as const) {
      for (let i = 0; i < 5; i++) {
        const expected = oracleAddress(cfg.keys.map((k) => k.xpub), cfg.threshold, cfg.scriptType, cfg.network, change, i);
        assert.equal(deriveAddress(cfg.descriptor, cfg.network, change, i), expected, `branch ${change} index ${i}`);
      }
    }
  });

  test(`${w.caravan_json}: exporting gives back the fixture's content`, () => {
    const original = JSON.parse(read(w.caravan_json)) as Record<string, unknown>;
    const exported = JSON.parse(toCaravan(parseCaravan(read(w.caravan_json)))) as Record<string, unknown>;
    assert.deepEqual(exported, original);
  });
}

test('a non-zero startingAddressIndex and a regtest network survive import and export', () => {
  const doc = JSON.parse(read('caravan/bitcoin-2-of-2-P2SH-P2WSH_TESTNET.json')) as Record<string, unknown>;
  const text = JSON.stringify({ ...doc, network: 'regtest', startingAddressIndex: 7 });
  const cfg = parseCaravan(text);
  assert.equal(cfg.network, 'regtest');
  assert.equal(cfg.startingAddressIndex, 7);
  const again = JSON.parse(toCaravan(cfg)) as Record<string, unknown>;
  assert.equal(again['network'], 'regtest');
  assert.equal(again['startingAddressIndex'], 7);
  assert.match(deriveAddress(cfg.descriptor, 'regtest', 0, 0), /^2/); // p2sh on regtest
});

test('Caravan fields we do not model (uuid, ledgerPolicyHmacs, client url, key method) are accepted and dropped', () => {
  const doc = JSON.parse(read('caravan/bitcoin-2-of-2-P2WSH_MAINNET.json')) as { extendedPublicKeys: Record<string, unknown>[] } & Record<string, unknown>;
  const text = JSON.stringify({
    ...doc,
    uuid: 'abc',
    ledgerPolicyHmacs: [{ xfp: 'f57ec65d', policyHmac: '00' }],
    client: { type: 'private', url: 'http://127.0.0.1:8332', username: 'u' },
    extendedPublicKeys: doc.extendedPublicKeys.map((k) => ({ ...k, method: 'text' })),
  });
  assert.equal(parseCaravan(text).descriptor, parseCaravan(read('caravan/bitcoin-2-of-2-P2WSH_MAINNET.json')).descriptor);
});

test('a taproot wallet has no Caravan form', () => {
  const base = parseCaravan(read('caravan/bitcoin-2-of-2-P2WSH_MAINNET.json'));
  const tr = makeWalletConfig({ ...base, scriptType: 'p2tr' });
  assert.throws(() => toCaravan(tr), (e: unknown) => e instanceof Error && 'code' in e && e.code === 'INVALID_ARGUMENT');
});
