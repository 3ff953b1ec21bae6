// The hand-written fast deriver (src/core/bitcoin/derive.ts) against oracles:
// - BIP32's own vectors for the CKDpub step it implements;
// - @bitcoinerlab/descriptors (bitcoinjs-lib + bip32 underneath) for hundreds of addresses,
//   scriptPubKeys and witness scripts over every fast shape, all four networks and both branches.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Output } from '@bitcoinerlab/descriptors';
import { networks, payments } from 'bitcoinjs-lib';
import { bytesToHex } from '@noble/hashes/utils.js';
import { bip32 } from '../../src/core/bitcoin/ecc.ts';
import { bitcoinjsNetwork } from '../../src/core/bitcoin/networks.ts';
import { ckdPub, createFastDeriver, FAST_SHAPES, MIN_BATCH, type FastShape } from '../../src/core/bitcoin/derive.ts';
import { collectKeys, parseSyntax } from '../../src/core/bitcoin/descriptor-syntax.ts';
import { createDeriver, descriptorChecksum, parseDescriptor } from '../../src/core/bitcoin/descriptor.ts';
import { NETWORKS, type Network } from '../../src/core/network.ts';

interface Chain { path: string; xpub: string }
const bip32Vectors = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'vectors', 'bip32.json'), 'utf8')) as { vectors: { chains?: Chain[] }[] };

test('BIP32 vectors: ckdPub reproduces every unhardened child public key', () => {
  let checked = 0;
  for (const v of bip32Vectors.vectors) {
    const chains = v.chains ?? [];
    for (let i = 1; i < chains.length; i++) {
      const parent = chains[i - 1] as Chain;
      const child = chains[i] as Chain;
      const last = child.path.split('/').pop() as string;
      if (/['h]$/.test(last)) continue;
      const p = bip32().fromBase58(parent.xpub);
      const c = bip32().fromBase58(child.xpub);
      assert.equal(bytesToHex(ckdPub(p.publicKey, p.chainCode, Number(last)) as Uint8Array), bytesToHex(c.publicKey), child.path);
      checked++;
    }
  }
  assert.ok(checked >= 5, `checked ${checked} unhardened steps`);
});

test('ckdPub agrees with bip32 on 500 indexes across the whole unhardened range', () => {
  const node = bip32().fromSeed(new Uint8Array(32).fill(42)).derivePath("m/48'/0'/0'/2'/0");
  for (let i = 0; i < 500; i++) {
    const index = (i * 4_294_967) % 0x80000000;
    assert.equal(bytesToHex(ckdPub(node.publicKey, node.chainCode, index) as Uint8Array), bytesToHex(node.derive(index).publicKey), `index ${index}`);
  }
});

/** Three cosigners' account xpubs (fixed seeds, so the test is deterministic), for main or test. */
function cosigners(family: 'main' | 'test'): string[] {
  const net = family === 'main' ? networks.bitcoin : networks.testnet;
  return [11, 22, 33].map((s) => {
    const root = bip32().fromSeed(new Uint8Array(32).fill(s), net);
    const fp = bytesToHex(root.fingerprint);
    return `[${fp}/48h/${family === 'main' ? 0 : 1}h/0h/2h]${root.derivePath(`m/48'/${family === 'main' ? 0 : 1}'/0'/2'`).neutered().toBase58()}/<0;1>/*`;
  });
}

function descriptorFor(shape: FastShape, keys: string[]): string {
  const [a, b, c] = keys as [string, string, string];
  const ms = (name: string) => `${name}(2,${a},${b},${c})`;
  switch (shape) {
    case 'wsh-multi': return `wsh(${ms('multi')})`;
    case 'wsh-sortedmulti': return `wsh(${ms('sortedmulti')})`;
    case 'sh-multi': return `sh(${ms('multi')})`;
    case 'sh-sortedmulti': return `sh(${ms('sortedmulti')})`;
    case 'sh-wsh-multi': return `sh(wsh(${ms('multi')}))`;
    case 'sh-wsh-sortedmulti': return `sh(wsh(${ms('sortedmulti')}))`;
    case 'wpkh': return `wpkh(${a})`;
    case 'sh-wpkh': return `sh(wpkh(${a}))`;
    case 'pkh': return `pkh(${a})`;
  }
}

function oracle(branchDescriptor: string, index: number, network: Network) {
  const o = new Output({ descriptor: branchDescriptor, checksumRequired: false, index, network: bitcoinjsNetwork(network) });
  return { address: o.getAddress(), spk: bytesToHex(o.getScriptPubKey()), ws: o.getWitnessScript() };
}

test('fast deriver = @bitcoinerlab/descriptors on every shape, network and branch (432 addresses)', () => {
  let compared = 0;
  for (const shape of FAST_SHAPES) {
    for (const network of NETWORKS) {
      const text = descriptorFor(shape, cosigners(network === 'main' ? 'main' : 'test'));
      const keys = collectKeys(parseSyntax(text));
      const fast = createFastDeriver(shape, shape.includes('multi') ? 2 : 0, shape.includes('multi') ? keys : keys.slice(0, 1), network);
      for (const branch of [0, 1]) {
        const branchText = text.replaceAll('<0;1>', String(branch));
        for (let j = 0; j < 6; j++) {
          const index = j < 3 ? j : 1000 + j * 99_991_993;
          const ours = fast.one(branch, index);
          const want = oracle(branchText, index, network);
          assert.equal(ours.address, want.address, `${shape} ${network} ${branch}/${index}`);
          assert.equal(bytesToHex(ours.scriptPubKey), want.spk);
          assert.equal(ours.witnessScript ? bytesToHex(ours.witnessScript) : undefined, want.ws ? bytesToHex(want.ws) : undefined);
          compared++;
        }
        // The batched path must equal the one-by-one path (checked against the library above):
        // the whole batch is derived, and compared at its first and last positions and every
        // seventh between (each one-by-one derivation costs two child-key steps per key).
        const start = branch === 0 ? 0 : 2_147_483_000;
        const batch = fast.range(branch, start, MIN_BATCH + 6);
        assert.equal(batch.length, MIN_BATCH + 6);
        batch.forEach((r, i) => {
          if (!(i < 4 || i >= batch.length - 4 || i % 7 === 0)) return;
          const single = fast.one(branch, start + i);
          assert.equal(r.address, single.address, `${shape} ${network} batch ${branch}/${start + i}`);
          assert.equal(bytesToHex(r.scriptPubKey), bytesToHex(single.scriptPubKey));
        });
      }
    }
  }
  assert.equal(compared, FAST_SHAPES.length * 4 * 2 * 6);
});

/**
 * A second, cheaper oracle for volume: bip32 derivation + bitcoinjs-lib payments, the
 * textbook construction, independent of our code and of the descriptor library.
 */
function bitcoinjsVault(shape: 'wsh' | 'sh' | 'sh-wsh', sorted: boolean, xpubs: string[], family: 'main' | 'test', network: Network) {
  const net = bitcoinjsNetwork(network);
  const branchNodes = [0, 1].map((b) => xpubs.map((x) => bip32().fromBase58(x, family === 'main' ? networks.bitcoin : networks.testnet).derive(b)));
  return (branch: number, index: number) => {
    const pubkeys = (branchNodes[branch] as ReturnType<ReturnType<typeof bip32>['fromBase58']>[]).map((n) => n.derive(index).publicKey);
    if (sorted) pubkeys.sort((x, y) => bytesToHex(x).localeCompare(bytesToHex(y)));
    const ms = payments.p2ms({ m: 2, pubkeys, network: net });
    const p = shape === 'wsh' ? payments.p2wsh({ redeem: ms, network: net }) : shape === 'sh' ? payments.p2sh({ redeem: ms, network: net }) : payments.p2sh({ redeem: payments.p2wsh({ redeem: ms, network: net }), network: net });
    return { address: p.address as string, spk: bytesToHex(p.output as Uint8Array) };
  };
}

test('a 2-of-3 vault: 750 receive and change addresses match bip32 + bitcoinjs-lib payments', () => {
  let compared = 0;
  for (const [shape, sorted, network] of [['wsh', true, 'main'], ['sh', false, 'test'], ['sh-wsh', true, 'signet'], ['wsh', false, 'regtest']] as const) {
    const family = network === 'main' ? 'main' : 'test';
    const accounts = cosigners(family).map((k) => (/\](\w+)\//.exec(k) as RegExpExecArray)[1] as string);
    const text = descriptorFor(`${shape}-${sorted ? 'sortedmulti' : 'multi'}` as FastShape, cosigners(family));
    const deriver = createDeriver(parseDescriptor(`${text}#${descriptorChecksum(text)}`), network);
    const want = bitcoinjsVault(shape, sorted, accounts, family, network);
    const n = shape === 'wsh' && network === 'main' ? 150 : 75;
    const batches = [false, true].map((change) => deriver.deriveRange(change, 0, n)); // the batched path
    for (let i = 0; i < n; i++) {
      for (const change of [false, true]) {
        const got = (batches[change ? 1 : 0] as { address: string; scriptPubKey: string }[])[i] as { address: string; scriptPubKey: string };
        const w = want(change ? 1 : 0, i);
        assert.equal(got.address, w.address, `${shape} ${network} ${change ? 'change' : 'receive'} ${i}`);
        assert.equal(got.scriptPubKey, w.spk);
        compared++;
      }
    }
  }
  assert.equal(compared, 2 * (150 + 3 * 75));
});

test('derive() called index after index (read-ahead kicks in) equals the batched and one-off paths', () => {
  const text = descriptorFor('sh-wsh-sortedmulti', cosigners('test'));
  const d = parseDescriptor(text, { requireChecksum: false });
  const sequential = createDeriver(d, 'signet');
  const reference = createDeriver(d, 'signet');
  for (const change of [false, true]) {
    const batch = reference.deriveRange(change, 0, 200);
    for (let i = 0; i < 200; i++) {
      const got = sequential.derive(change, i);
      assert.deepEqual(got, batch[i], `${change ? 'change' : 'receive'} ${i}`);
      assert.ok(sequential.witnessScript?.(change, i), 'asking for the witness script in between');
    }
    // a jump backwards and a random access still answer correctly
    for (const i of [150, 3, 7_000_000]) assert.deepEqual(sequential.derive(change, i), reference.deriveRange(change, i, 1)[0]);
  }
});

test('fixed keys mixed with ranged ones, and a 1-of-1 multisig, match the library', () => {
  const [a, b] = cosigners('test') as [string, string];
  const fixed = bytesToHex(bip32().fromSeed(new Uint8Array(32).fill(5)).publicKey);
  for (const text of [`wsh(sortedmulti(2,${a},${fixed},${b}))`, `sh(wsh(multi(1,${b})))`, `wsh(multi(2,${fixed},${a.replace('/<0;1>/*', '/7')},${b}))`]) {
    const d = parseDescriptor(text, { requireChecksum: false });
    const deriver = createDeriver(d, 'regtest');
    for (let i = 0; i < 10; i++) {
      const want = oracle(text.replaceAll('<0;1>', '0'), i, 'regtest');
      const got = deriver.derive(false, i).address;
      assert.equal(got, want.address, `${text} ${i}`);
      assert.match(got, text.startsWith('wsh') ? /^bcrt1q/ : /^2/);
    }
  }
});

test('a 17-key wsh(multi) (beyond OP_16, so not on the fast path) still derives what the library derives', () => {
  const xs = Array.from({ length: 17 }, (_v, i) => `${bip32().fromSeed(new Uint8Array(32).fill(i + 1)).neutered().toBase58()}/0/*`);
  const text = `wsh(multi(2,${xs.join(',')}))`;
  const rows = createDeriver(parseDescriptor(text, { requireChecksum: false }), 'main').deriveRange(false, 0, 3);
  rows.forEach((r, i) => assert.equal(r.address, oracle(text, i, 'main').address));
});
