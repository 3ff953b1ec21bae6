// Every format round-trips: format → model → descriptor → model → format gives the same text,
// and the descriptor derives the same addresses as an independent bip32 + bitcoinjs-lib build
// of the scripts (sorted multisig, and taproot multi_a under the NUMS key).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIP32Factory } from 'bip32';
import * as ecc from '@bitcoinerlab/secp256k1';
import { initEccLib, networks, opcodes, payments, script } from 'bitcoinjs-lib';
import { detectWalletFormat, exportWalletConfig, importWalletConfig, WALLET_FORMATS } from '../../src/core/vault/formats/detect.ts';
import { parseCaravan } from '../../src/core/vault/formats/caravan.ts';
import {
  deriveAddress, makeWalletConfig, NUMS_INTERNAL_KEY, parseMultisigDescriptor, SCRIPT_TYPES, walletConfigFromDescriptor,
} from '../../src/core/vault/formats/wallet-config.ts';
import type { ScriptType, WalletConfig } from '../../src/core/vault/formats/wallet-config.ts';
import type { Network } from '../../src/core/network.ts';
import { oracleAddress } from './multisig-oracle.ts';

initEccLib(ecc);
const bip32 = BIP32Factory(ecc);
const DIR = join(import.meta.dirname, '..', 'vectors', 'interop');

/** A 2-of-3 wallet of three real BIP32 seeds, with the master fingerprints they really have. */
function seededWallet(scriptType: ScriptType, network: Network): WalletConfig {
  const net = network === 'main' ? networks.bitcoin : networks.testnet;
  const coin = network === 'main' ? 0 : 1;
  const keys = [1, 2, 3].map((n) => {
    const root = bip32.fromSeed(Buffer.alloc(32, n), net);
    const path = `m/48'/${coin}'/${n - 1}'/2'`;
    return { name: `Institution ${n}`, fingerprint: Buffer.from(root.fingerprint).toString('hex'), path, xpub: root.derivePath(path).neutered().toBase58() };
  });
  return makeWalletConfig({ name: `seeded-${scriptType}`, network, scriptType, threshold: 2, keys });
}

const WALLETS: WalletConfig[] = [
  parseCaravan(readFileSync(join(DIR, 'caravan/bitcoin-2-of-2-P2WSH_MAINNET.json'), 'utf8')),
  parseCaravan(readFileSync(join(DIR, 'caravan/bitcoin-2-of-2-P2SH-P2WSH_TESTNET.json'), 'utf8')),
  ...(['p2wsh', 'p2sh-p2wsh', 'p2sh'] as const).map((t) => seededWallet(t, 'main')),
  seededWallet('p2wsh', 'regtest'),
];

function withoutNames(c: WalletConfig): unknown {
  return { ...c, name: '', keys: c.keys.map(({ name: _n, ...k }) => k) };
}

for (const cfg of WALLETS) {
  for (const format of WALLET_FORMATS) {
    test(`${cfg.name} (${cfg.scriptType}, ${cfg.network}) round-trips through ${format}`, () => {
      const text = exportWalletConfig(cfg, format);
      assert.equal(detectWalletFormat(text), format);
      const back = importWalletConfig(text, { network: cfg.network }).config;
      assert.equal(back.descriptor, cfg.descriptor);
      const viaDescriptor = walletConfigFromDescriptor(back.descriptor, { network: back.network, name: back.name });
      assert.deepEqual(withoutNames(viaDescriptor), withoutNames(back));
      const again = exportWalletConfig({ ...viaDescriptor, keys: back.keys }, format);
      assert.equal(again, text);
    });
  }

  test(`${cfg.name} (${cfg.scriptType}, ${cfg.network}): both branches derive what bip32 + bitcoinjs derive`, () => {
    if (cfg.scriptType === 'p2tr') throw new Error('not a p2tr wallet');
    for (const change of [0, 1] as const) {
      for (const i of [0, 1, 2, 19, 20]) {
        assert.equal(deriveAddress(cfg.descriptor, cfg.network, change, i), oracleAddress(cfg.keys.map((k) => k.xpub), cfg.threshold, cfg.scriptType, cfg.network, change, i));
      }
    }
  });
}

test('Caravan → Coldcard → BSMS → Caravan keeps the wallet (key names are Caravan-only)', () => {
  const start = WALLETS[0];
  assert.ok(start);
  const cc = importWalletConfig(exportWalletConfig(start, 'coldcard')).config;
  const bsms = importWalletConfig(exportWalletConfig(cc, 'bsms')).config;
  const back = importWalletConfig(exportWalletConfig({ ...bsms, keys: bsms.keys.map((k, i) => ({ ...k, name: start.keys[i]?.name ?? '' })) }, 'caravan')).config;
  assert.equal(back.descriptor, start.descriptor);
  assert.deepEqual(back.keys, start.keys);
});

test('a taproot sortedmulti_a wallet round-trips as a descriptor and derives what bitcoinjs builds', () => {
  const cfg = seededWallet('p2tr', 'main');
  assert.ok(cfg.descriptor.startsWith(`tr(${NUMS_INTERNAL_KEY},sortedmulti_a(2,`));
  assert.deepEqual(withoutNames(walletConfigFromDescriptor(cfg.descriptor, { network: 'main', name: cfg.name })), withoutNames(cfg));
  for (const change of [0, 1]) {
    for (const i of [0, 1, 5]) {
      const xonly = cfg.keys
        .map((k) => bip32.fromBase58(k.xpub).derive(change).derive(i).publicKey.subarray(1))
        .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
      const chunks: (Uint8Array | number)[] = [];
      xonly.forEach((k, j) => chunks.push(k, j === 0 ? opcodes.OP_CHECKSIG : opcodes.OP_CHECKSIGADD));
      chunks.push(script.number.encode(cfg.threshold), opcodes.OP_NUMEQUAL);
      const leaf = script.compile(chunks);
      const p = payments.p2tr({ internalPubkey: Buffer.from(NUMS_INTERNAL_KEY, 'hex'), scriptTree: { output: leaf }, network: networks.bitcoin });
      assert.equal(deriveAddress(cfg.descriptor, 'main', change as 0 | 1, i), p.address);
    }
  }
});

test('receive-only (/0/*) and BIP129 (/**) key suffixes import as the multipath wallet', () => {
  const cfg = WALLETS[2];
  assert.ok(cfg);
  const body = cfg.descriptor.replace(/#.*$/, '');
  assert.equal(walletConfigFromDescriptor(body.replaceAll('/<0;1>/*', '/0/*')).descriptor, cfg.descriptor);
  assert.equal(parseMultisigDescriptor(body.replaceAll('/<0;1>/*', '/0/*')).branches, 'receive-only');
  assert.equal(walletConfigFromDescriptor(body.replaceAll('/<0;1>/*', '/**')).descriptor, cfg.descriptor);
  assert.equal(walletConfigFromDescriptor(body.replace(/\[[^\]]*\]/g, (o) => o.replaceAll('h', "'"))).descriptor, cfg.descriptor);
});

test('every script type of the model has a descriptor form that parses back to itself', () => {
  for (const t of SCRIPT_TYPES) {
    const cfg = seededWallet(t, 'test');
    assert.equal(parseMultisigDescriptor(cfg.descriptor).scriptType, t);
  }
});

test('detection returns null for text that is no wallet format', () => {
  for (const t of ['', 'hello', '{"a":1}', '[1,2]', 'Name: x\nsomething']) assert.equal(detectWalletFormat(t), null, t);
});
