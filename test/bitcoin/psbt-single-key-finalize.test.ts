// Single-key vaults (wpkh, sh(wpkh), pkh, tr(KEY)) — which `vault add` accepts — are spent end to end:
// the PSBT the proposal workflow builds (createPsbt), signed by the software signer, is judged
// complete by verifyPsbtInputs and finalized by finalizeVerified (bitcoinjs-lib's standard
// finalizer: the descriptor library's miniscript satisfier only knows miniscript descriptors),
// and the transaction verifies with bcoin's consensus interpreter and is accepted by a regtest node.
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { BIP32Factory, type BIP32Interface } from 'bip32';
import * as ecc from '@bitcoinerlab/secp256k1';
import { checksum } from '@bitcoinerlab/descriptors';
import { Transaction, crypto as bcrypto, networks, payments } from 'bitcoinjs-lib';
import { sha256 } from '@noble/hashes/sha2.js';
import { createRequire } from 'node:module';
import { hex } from '@scure/base';
import { isDomainError } from '../../src/core/errors.ts';
import { createPsbt, decodePsbt, finalizeVerified, vaultOutput, verifyPsbtInputs } from '../../src/core/bitcoin/psbt.ts';
import { inspectPsbt } from '../../src/core/bitcoin/psbt-inspect.ts';
import { verifyInput } from '../../src/core/bitcoin/bip322-interpreter.ts';
import { parseExtendedPrivateKey, signPsbtWithKey } from '../../src/adapters/signers/software-signer.ts';
import { useRegtestNode } from '../helpers/regtest.ts';

interface BcoinOracle {
  TX: { fromRaw(raw: Buffer): { verifyInput(index: number, coin: unknown, flags: number): boolean } };
  Coin: { fromOptions(o: { value: number; script: unknown }): unknown };
  Script: { fromRaw(raw: Buffer): unknown; flags: { STANDARD_VERIFY_FLAGS: number } };
}
const bcoin = createRequire(import.meta.url)('bcoin') as BcoinOracle;
const BIP32 = BIP32Factory(ecc);
const NET = networks.regtest;

function master(label: string): BIP32Interface {
  return BIP32.fromSeed(sha256(new TextEncoder().encode(`soberana single-key test ${label}`)), NET);
}
const KEY = master('holder');
const OTHER = master('stranger');

function keyExpr(m: BIP32Interface, purpose: number): string {
  const fp = hex.encode(m.fingerprint);
  return `[${fp}/${purpose}h/1h/0h]${m.derivePath(`m/${purpose}'/1'/0'`).neutered().toBase58()}/<0;1>/*`;
}
function withChecksum(d: string): string {
  return `${d}#${checksum(d)}`;
}

const VAULTS = {
  wpkh: withChecksum(`wpkh(${keyExpr(KEY, 84)})`),
  'sh(wpkh)': withChecksum(`sh(wpkh(${keyExpr(KEY, 49)}))`),
  pkh: withChecksum(`pkh(${keyExpr(KEY, 44)})`),
} as const;

const PAYEE = payments.p2wpkh({ pubkey: master('payee').publicKey, network: NET }).address ?? '';

/** A transaction (not on any chain) that pays the vault at (branch, index). */
function funding(descriptor: string, branch: number, index: number, value: bigint, tag: number): Transaction {
  const tx = new Transaction();
  tx.version = 2;
  tx.addInput(new Uint8Array(32).fill(tag), 0, 0xffffffff);
  tx.addOutput(vaultOutput(descriptor, 'regtest', branch, index).getScriptPubKey(), value);
  return tx;
}

function consensusVerify(txHex: string, spent: { script: Uint8Array; value: bigint }[]): void {
  const btx = bcoin.TX.fromRaw(Buffer.from(txHex, 'hex'));
  spent.forEach((s, i) => {
    const coin = bcoin.Coin.fromOptions({ value: Number(s.value), script: bcoin.Script.fromRaw(Buffer.from(s.script)) });
    assert.equal(btx.verifyInput(i, coin, bcoin.Script.flags.STANDARD_VERIFY_FLAGS), true, `input ${i} fails consensus verification`);
  });
}

/** The unsigned PSBT of a spend of two vault coins (a receive and a change one), with change back. */
function proposal(descriptor: string, tag: number): { unsigned: string; spent: { script: Uint8Array; value: bigint }[] } {
  const f0 = funding(descriptor, 0, 0, 150_000n, tag);
  const f1 = funding(descriptor, 1, 2, 80_000n, tag + 1);
  const unsigned = createPsbt({
    network: 'regtest',
    descriptor,
    inputs: [
      { txid: f0.getId(), vout: 0, value: 150_000n, change: false, index: 0, nonWitnessUtxo: f0.toBuffer() },
      { txid: f1.getId(), vout: 0, value: 80_000n, change: true, index: 2, nonWitnessUtxo: f1.toBuffer() },
    ],
    outputs: [{ address: PAYEE, value: 200_000n }, { change: true, index: 3, value: 28_000n }],
  });
  return { unsigned, spent: [f0, f1].map((f) => ({ script: f.outs[0]?.script ?? new Uint8Array(), value: f.outs[0]?.value ?? 0n })) };
}

for (const [name, descriptor] of Object.entries(VAULTS)) {
  test(`a ${name} single-key vault spend signed by its one key is complete, finalizes and verifies`, () => {
    const { unsigned, spent } = proposal(descriptor, name.length * 3);
    const before = verifyPsbtInputs(unsigned, { descriptor, network: 'regtest' });
    assert.equal(before.complete, false, 'unsigned is not complete');
    assert.throws(() => finalizeVerified(unsigned, { descriptor, network: 'regtest' }), (e: unknown) => isDomainError(e) && e.code === 'PSBT_INCOMPLETE');

    const signed = signPsbtWithKey(unsigned, parseExtendedPrivateKey(KEY.toBase58(), 'holder key'));
    assert.equal(signed.added, 2);
    const v = verifyPsbtInputs(signed.psbt, { descriptor, network: 'regtest', proposal: unsigned });
    assert.deepEqual(v.inputs.map((x) => [x.signatures, x.complete]), [[1, true], [1, true]]);
    assert.equal(v.complete, true);
    assert.equal(inspectPsbt(signed.psbt, { network: 'regtest', descriptor }).complete, true);

    const final = finalizeVerified(signed.psbt, { descriptor, network: 'regtest' });
    assert.equal(final.fee, 2_000n);
    const after = verifyPsbtInputs(final.psbt, { descriptor, network: 'regtest', proposal: unsigned });
    assert.deepEqual(after.inputs.map((x) => [x.finalized, x.signatures, x.complete]), [[true, 1, true], [true, 1, true]]);
    consensusVerify(final.hex, spent);
  });
}

test('a single-key vault input whose signature does not verify is refused, not finalized', () => {
  const descriptor = VAULTS.wpkh;
  const { unsigned } = proposal(descriptor, 40);
  // A key that is not the vault's signs nothing (its derivations do not match).
  assert.throws(() => signPsbtWithKey(unsigned, parseExtendedPrivateKey(OTHER.toBase58(), 'stranger key')), (e: unknown) => isDomainError(e) && e.code === 'INVALID_ARGUMENT');
  const signed = signPsbtWithKey(unsigned, parseExtendedPrivateKey(KEY.toBase58(), 'holder key')).psbt;
  const { psbt } = decodePsbt(signed, 'regtest');
  const sig = psbt.data.inputs[0]?.partialSig?.[0];
  assert.ok(sig);
  const bad = Uint8Array.from(sig.signature);
  bad[10] = (bad[10] ?? 0) ^ 0x01; // inside r
  sig.signature = bad;
  assert.throws(() => finalizeVerified(psbt.toBase64(), { descriptor, network: 'regtest' }), (e: unknown) => isDomainError(e) && e.code === 'INVALID_SIGNATURE');
});

// tr(KEY): the key-path signature (BIP341 tweaked key) is made here with bitcoinjs-lib, as a
// hardware signer would: the software signer signs taproot script paths only.
test('a tr(KEY) single-key vault spend signed on its key path is complete, finalizes and verifies', () => {
  const descriptor = withChecksum(`tr(${keyExpr(KEY, 86)})`);
  const { unsigned, spent } = proposal(descriptor, 50);
  assert.equal(verifyPsbtInputs(unsigned, { descriptor, network: 'regtest' }).complete, false);
  const { psbt } = decodePsbt(unsigned, 'regtest');
  psbt.data.inputs.forEach((inp, i) => {
    const d = inp.tapBip32Derivation?.[0];
    assert.ok(d && inp.tapInternalKey);
    const child = KEY.derivePath(d.path);
    const tweaked = child.tweak(bcrypto.taggedHash('TapTweak', inp.tapInternalKey));
    psbt.signTaprootInput(i, tweaked);
  });
  const signed = psbt.toBase64();
  const v = verifyPsbtInputs(signed, { descriptor, network: 'regtest', proposal: unsigned });
  assert.deepEqual(v.inputs.map((x) => [x.signatures, x.complete]), [[1, true], [1, true]]);
  assert.equal(inspectPsbt(signed, { network: 'regtest', descriptor }).complete, true);
  const final = finalizeVerified(signed, { descriptor, network: 'regtest' });
  assert.equal(final.fee, 2_000n);
  const tx = Transaction.fromHex(final.hex);
  for (const inp of tx.ins) assert.deepEqual(inp.witness.map((w) => w.length), [64], 'key path: the witness is one SIGHASH_DEFAULT signature');
  // bcoin predates taproot: checked with the BIP-322 interpreter (validated by the BIP-322 taproot vectors)
  for (let i = 0; i < tx.ins.length; i++) verifyInput(tx, i, spent);

  // a key-path signature that does not verify is refused
  const bad = decodePsbt(unsigned, 'regtest').psbt;
  const good = decodePsbt(signed, 'regtest').psbt;
  bad.data.inputs.forEach((inp, i) => {
    const sig = Uint8Array.from(good.data.inputs[i]?.tapKeySig ?? []);
    if (i === 1) sig[5] = (sig[5] ?? 0) ^ 0x01;
    inp.tapKeySig = sig;
  });
  assert.throws(() => finalizeVerified(bad.toBase64(), { descriptor, network: 'regtest' }), (e: unknown) => isDomainError(e) && e.code === 'INVALID_SIGNATURE' && /input 1/.test(e.message));
});

test('a taproot key-path signature on a vault with a script tree is still refused', () => {
  const other = master('cosigner');
  const descriptor = withChecksum(`tr(${keyExpr(KEY, 86)},pk(${keyExpr(other, 86)}))`);
  const { unsigned } = proposal(descriptor, 60);
  const { psbt } = decodePsbt(unsigned, 'regtest');
  psbt.data.inputs.forEach((inp, i) => {
    const d = inp.tapBip32Derivation?.find((x) => x.leafHashes.length === 0);
    assert.ok(d && inp.tapInternalKey);
    const merkle = payments.p2tr({ internalPubkey: inp.tapInternalKey, scriptTree: { output: inp.tapLeafScript?.[0]?.script ?? new Uint8Array() }, network: NET }).hash;
    assert.ok(merkle);
    const tweak = bcrypto.taggedHash('TapTweak', Buffer.concat([inp.tapInternalKey, merkle]));
    psbt.signTaprootInput(i, KEY.derivePath(d.path).tweak(tweak));
  });
  assert.throws(() => verifyPsbtInputs(psbt.toBase64(), { descriptor, network: 'regtest' }), (e: unknown) => isDomainError(e) && e.code === 'INVALID_SIGNATURE' && /key-path signatures are not accepted/.test(e.message));
});

describe('regtest: a wpkh vault spend is accepted by the node', () => {
  const regtest = useRegtestNode();
  before(async () => {
    await (await regtest.ready()).activateSegwit();
  });

  test('propose (createPsbt) → sign (software signer) → finalizeVerified → broadcast → mined', async () => {
    const node = regtest.node();
    const descriptor = VAULTS.wpkh;
    const out = vaultOutput(descriptor, 'regtest', 0, 5);
    const address = payments.p2wpkh({ output: out.getScriptPubKey(), network: NET }).address ?? '';
    const fundTxid = await node.fund(address, 300_000n, { confirm: true });
    const prev = Transaction.fromBuffer(await node.chainSource().rawTransaction(fundTxid));
    const vout = prev.outs.findIndex((o) => hex.encode(o.script) === hex.encode(out.getScriptPubKey()));
    assert.ok(vout >= 0);
    const unsigned = createPsbt({
      network: 'regtest',
      descriptor,
      inputs: [{ txid: fundTxid, vout, value: 300_000n, change: false, index: 5 }],
      outputs: [{ address: PAYEE, value: 250_000n }, { change: true, index: 0, value: 49_000n }],
    });
    const signed = signPsbtWithKey(unsigned, parseExtendedPrivateKey(KEY.toBase58(), 'holder key')).psbt;
    const final = finalizeVerified(signed, { descriptor, network: 'regtest' });
    const r = await node.submitTx(hex.decode(final.hex));
    assert.equal(r.accepted, true, `the node refused it: ${'reason' in r ? String(r.reason) : ''}`);
    await node.mine(1);
    const mined = Transaction.fromBuffer(await node.chainSource().rawTransaction(final.txid));
    assert.equal(mined.getId(), final.txid);
  });
});
