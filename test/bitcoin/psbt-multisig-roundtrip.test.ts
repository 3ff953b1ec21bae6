// The multisig signing round, end to end without a node: create a PSBT for a 2-of-3 vault,
// sign two copies SEPARATELY with two software signers, combine, finalize, extract, and check
// the final transaction with bcoin's consensus script interpreter (an independent
// implementation). Vaults: wsh(sortedmulti), sh(wsh(sortedmulti)), and a miniscript vault
// with a time-locked recovery key (finalized through the multisig branch).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BIP32Factory, type BIP32Interface } from 'bip32';
import * as ecc from '@bitcoinerlab/secp256k1';
import { checksum } from '@bitcoinerlab/descriptors';
import { Transaction, address, networks, payments } from 'bitcoinjs-lib';
import { sha256 } from '@noble/hashes/sha2.js';
import { createRequire } from 'node:module';
import { isDomainError, type ErrorCode } from '../../src/core/errors.ts';
import { combinePsbts, createPsbt, decodePsbt, extractTransaction, finalizePsbt, vaultOutput, verifyPartialSignatures } from '../../src/core/bitcoin/psbt.ts';
import { inspectPsbt } from '../../src/core/bitcoin/psbt-inspect.ts';
import { ScriptFailure, verifyInput } from '../../src/core/bitcoin/bip322-interpreter.ts';
import { parseExtendedPrivateKey, signPsbtWithKey } from '../../src/adapters/signers/software-signer.ts';

// bcoin ships no types: the little of it used here, typed.
interface BcoinOracle {
  TX: { fromRaw(raw: Buffer): { verifyInput(index: number, coin: unknown, flags: number): boolean } };
  Coin: { fromOptions(o: { value: number; script: unknown }): unknown };
  Script: { fromRaw(raw: Buffer): unknown; flags: { STANDARD_VERIFY_FLAGS: number } };
}
const bcoin = createRequire(import.meta.url)('bcoin') as BcoinOracle;
const BIP32 = BIP32Factory(ecc);
const NET = networks.regtest;
const ACCOUNT = "48'/1'/0'/2'";

function master(label: string): BIP32Interface {
  return BIP32.fromSeed(sha256(new TextEncoder().encode(`soberana test key ${label}`)), NET);
}
const [A, B, C, R] = ['alice', 'bob', 'carol', 'recovery'].map(master) as [BIP32Interface, BIP32Interface, BIP32Interface, BIP32Interface];

function keyExpr(m: BIP32Interface): string {
  const fp = Buffer.from(m.fingerprint).toString('hex');
  return `[${fp}/${ACCOUNT}]${m.derivePath(`m/${ACCOUNT}`).neutered().toBase58()}/<0;1>/*`;
}
function withChecksum(d: string): string {
  return `${d}#${checksum(d)}`;
}

const VAULTS = {
  'wsh(sortedmulti)': withChecksum(`wsh(sortedmulti(2,${keyExpr(A)},${keyExpr(B)},${keyExpr(C)}))`),
  'sh(wsh(sortedmulti))': withChecksum(`sh(wsh(sortedmulti(2,${keyExpr(A)},${keyExpr(B)},${keyExpr(C)})))`),
  miniscript: withChecksum(`wsh(or_d(multi(2,${keyExpr(A)},${keyExpr(B)},${keyExpr(C)}),and_v(v:pk(${keyExpr(R)}),older(52560))))`),
} as const;

/** A transaction (not on any chain) that pays the vault at (branch, index). */
function funding(descriptor: string, branch: number, index: number, value: bigint, tag: number): Transaction {
  const tx = new Transaction();
  tx.version = 2;
  tx.addInput(new Uint8Array(32).fill(tag), 0, 0xffffffff);
  tx.addOutput(vaultOutput(descriptor, 'regtest', branch, index).getScriptPubKey(), value);
  return tx;
}

const PAYEE = payments.p2wpkh({ pubkey: master('payee').publicKey, network: NET }).address ?? '';

function codeOf(fn: () => unknown): ErrorCode | 'none' {
  try {
    fn();
    return 'none';
  } catch (e) {
    if (isDomainError(e)) return e.code;
    throw e;
  }
}

/** Verify every input of `tx` with bcoin's script interpreter against the spent outputs. */
function consensusVerify(tx: Transaction, spent: { script: Uint8Array; value: bigint }[]): void {
  const btx = bcoin.TX.fromRaw(Buffer.from(tx.toBuffer()));
  spent.forEach((s, i) => {
    const coin = bcoin.Coin.fromOptions({ value: Number(s.value), script: bcoin.Script.fromRaw(Buffer.from(s.script)) });
    assert.equal(btx.verifyInput(i, coin, bcoin.Script.flags.STANDARD_VERIFY_FLAGS), true, `input ${i} fails consensus verification`);
  });
}

function signingRound(name: keyof typeof VAULTS, first: BIP32Interface, second: BIP32Interface): void {
  const descriptor = VAULTS[name];
  const f0 = funding(descriptor, 0, 0, 150_000n, 1);
  const f1 = funding(descriptor, 1, 2, 80_000n, 2);
  const unsigned = createPsbt({
    network: 'regtest',
    descriptor,
    inputs: [
      { txid: f0.getId(), vout: 0, value: 150_000n, change: false, index: 0, nonWitnessUtxo: f0.toBuffer() },
      { txid: f1.getId(), vout: 0, value: 80_000n, change: true, index: 2 },
    ],
    outputs: [
      { address: PAYEE, value: 200_000n },
      { change: true, index: 3, value: 28_000n },
    ],
  });

  // Every input and the change output carry the derivations of all cosigners; xpubs are global.
  const { psbt } = decodePsbt(unsigned, 'regtest');
  const cosigners = name === 'miniscript' ? 4 : 3;
  for (const inp of psbt.data.inputs) assert.equal(inp.bip32Derivation?.length, cosigners);
  assert.equal(psbt.data.outputs[1]?.bip32Derivation?.length, cosigners);
  assert.equal(psbt.data.outputs[0]?.bip32Derivation, undefined);
  assert.equal(psbt.data.globalMap.globalXpub?.length, cosigners);
  assert.ok(psbt.data.inputs[0]?.nonWitnessUtxo);
  assert.equal(psbt.txInputs[0]?.sequence, 0xfffffffd, 'RBF is signalled by default');

  const inspectedUnsigned = inspectPsbt(unsigned, { network: 'regtest', descriptor });
  assert.deepEqual(inspectedUnsigned.outputs.map((o) => [o.ours, o.change]), [[false, false], [true, true]]);
  assert.equal(inspectedUnsigned.outputs[0]?.address, PAYEE);
  assert.equal(inspectedUnsigned.fee, 2_000n);
  assert.equal(inspectedUnsigned.complete, false);
  if (name !== 'miniscript') assert.deepEqual(inspectedUnsigned.inputs.map((i) => [i.signatures, i.required]), [[0, 2], [0, 2]]);

  // Two signers, each on its own copy.
  const partA = signPsbtWithKey(unsigned, parseExtendedPrivateKey(first.toBase58(), 'key A'));
  const partB = signPsbtWithKey(Buffer.from(unsigned, 'base64'), parseExtendedPrivateKey(second.toBase58(), 'key B'));
  assert.equal(partA.added, 2);
  assert.equal(partB.added, 2);
  verifyPartialSignatures(partA.psbt, descriptor, 'regtest');
  verifyPartialSignatures(partB.psbt, descriptor, 'regtest');

  const inspectedA = inspectPsbt(partA.psbt, { network: 'regtest', descriptor });
  assert.deepEqual(inspectedA.inputs.map((i) => i.signatures), [1, 1]);
  assert.equal(inspectedA.complete, false);
  assert.equal(inspectedA.txid, inspectedUnsigned.txid, 'signatures do not change the unsigned txid');
  if (name !== 'miniscript') {
    assert.throws(() => finalizePsbt(partA.psbt), (e: unknown) => isDomainError(e) && e.code === 'PSBT_INCOMPLETE' && /input 0 has 1 of 2 signatures/.test(e.message));
  }

  const combined = combinePsbts([partA.psbt, partB.psbt]);
  verifyPartialSignatures(combined, descriptor, 'regtest');
  if (name !== 'miniscript') assert.equal(inspectPsbt(combined, { network: 'regtest' }).complete, true);

  if (name === 'miniscript') {
    assert.equal(codeOf(() => finalizePsbt(combined, { network: 'regtest' })), 'PSBT_INCOMPLETE', 'miniscript needs the descriptor');
    assert.equal(codeOf(() => finalizePsbt(partA.psbt, { network: 'regtest', descriptor })), 'PSBT_INCOMPLETE', 'one signature does not satisfy');
    assert.deepEqual(inspectPsbt(combined, { network: 'regtest', descriptor }).inputs.map((i) => i.required), [null, null]);
    assert.equal(inspectPsbt(combined, { network: 'regtest', descriptor }).complete, true, 'two signatures satisfy the multisig branch');
    assert.equal(inspectPsbt(combined, { network: 'regtest' }).complete, false, 'without the descriptor it cannot be told');
  }
  const finalized = finalizePsbt(combined, { network: 'regtest', descriptor });
  const inspectedFinal = inspectPsbt(finalized, { network: 'regtest', descriptor, proposal: unsigned });
  assert.equal(inspectedFinal.complete, true);
  // a BIP174 finalizer drops the derivations that tie the final scripts to the vault: without the
  // proposal they cannot be verified, so the PSBT is not reported complete
  assert.equal(inspectPsbt(finalized, { network: 'regtest', descriptor }).complete, false);
  assert.equal(inspectPsbt(finalized, { network: 'regtest' }).complete, true, 'the final scripts verify against the PSBT\'s UTXOs');
  assert.deepEqual(inspectedFinal.inputs.map((i) => [i.finalized, i.signatures]), [[true, 2], [true, 2]]);

  const out = extractTransaction(finalized);
  assert.equal(out.fee, 2_000n);
  // native segwit: the final txid is the unsigned txid; P2SH-wrapped: the scriptSig changes it
  if (name === 'sh(wsh(sortedmulti))') assert.notEqual(out.txid, inspectedUnsigned.txid);
  else assert.equal(out.txid, inspectedUnsigned.txid);
  const tx = Transaction.fromHex(out.hex);
  assert.equal(out.vsize, tx.virtualSize());
  assert.equal(inspectedFinal.feeRate, Math.round((2000 / tx.virtualSize()) * 100) / 100);
  assert.equal(address.fromOutputScript(tx.outs[0]?.script ?? new Uint8Array(), NET), PAYEE);
  // or_d(multi(2,…),…) satisfied by its first branch: the same stack as plain multisig
  for (const inp of tx.ins) assert.equal(inp.witness.length, 4, 'empty, two signatures, witnessScript');
  consensusVerify(tx, [f0.outs[0], f1.outs[0]].map((o) => ({ script: o?.script ?? new Uint8Array(), value: o?.value ?? 0n })));

  // A tampered signature is caught by bcoin too (the oracle can fail).
  const bad = Transaction.fromHex(out.hex);
  const sig = bad.ins[0]?.witness[1];
  assert.ok(sig);
  sig[10] = (sig[10] ?? 0) ^ 1;
  assert.throws(() => consensusVerify(bad, [f0.outs[0], f1.outs[0]].map((o) => ({ script: o?.script ?? new Uint8Array(), value: o?.value ?? 0n }))));

  // A PSBT of another transaction is refused by the combiner.
  const other = createPsbt({
    network: 'regtest',
    descriptor,
    inputs: [{ txid: f1.getId(), vout: 0, value: 80_000n, change: true, index: 2 }],
    outputs: [{ address: PAYEE, value: 79_000n }],
  });
  assert.equal(codeOf(() => combinePsbts([partA.psbt, other])), 'PSBT_MISMATCH');
}

test('2-of-3 wsh(sortedmulti): create, sign separately, combine, finalize, extract, consensus-verify', () => {
  signingRound('wsh(sortedmulti)', A, C);
});

test('2-of-3 sh(wsh(sortedmulti)): create, sign separately, combine, finalize, extract, consensus-verify', () => {
  signingRound('sh(wsh(sortedmulti))', B, A);
});

test('miniscript vault wsh(or_d(multi(2,A,B,C),and_v(v:pk(R),older(52560)))): finalized via the multisig branch', () => {
  signingRound('miniscript', A, B);
});

test('verifyPartialSignatures refuses a signature by a foreign key and a corrupted signature', () => {
  const descriptor = VAULTS['wsh(sortedmulti)'];
  const f0 = funding(descriptor, 0, 5, 50_000n, 7);
  const unsigned = createPsbt({ network: 'regtest', descriptor, inputs: [{ txid: f0.getId(), vout: 0, value: 50_000n, change: false, index: 5 }], outputs: [{ address: PAYEE, value: 49_000n }] });
  const signed = signPsbtWithKey(unsigned, parseExtendedPrivateKey(B.toBase58(), 'key B')).psbt;
  verifyPartialSignatures(signed, descriptor, 'regtest');

  // corrupt the signature bytes (still DER-shaped)
  const { psbt } = decodePsbt(signed, 'regtest');
  const ps = psbt.data.inputs[0]?.partialSig?.[0];
  assert.ok(ps);
  ps.signature[12] = (ps.signature[12] ?? 0) ^ 0xff;
  assert.equal(codeOf(() => verifyPartialSignatures(psbt.toBase64(), descriptor, 'regtest')), 'INVALID_SIGNATURE');

  // a valid-looking signature by a key that is not one of the vault's
  const foreign = decodePsbt(signed, 'regtest').psbt;
  const stranger = master('stranger').derivePath('m/0/0');
  const fps = foreign.data.inputs[0]?.partialSig?.[0];
  assert.ok(fps);
  fps.pubkey = stranger.publicKey;
  assert.equal(codeOf(() => verifyPartialSignatures(foreign.toBase64(), descriptor, 'regtest')), 'INVALID_SIGNATURE');

  // a PSBT for another vault
  const otherVault = VAULTS['sh(wsh(sortedmulti))'];
  assert.equal(codeOf(() => verifyPartialSignatures(signed, otherVault, 'regtest')), 'INVALID_SIGNATURE');
});

test('createPsbt refuses descriptors without a valid checksum, wrong-network addresses, overspending, and legacy inputs without their previous transaction', () => {
  const descriptor = VAULTS['wsh(sortedmulti)'];
  const f0 = funding(descriptor, 0, 0, 50_000n, 9);
  const base = { network: 'regtest' as const, descriptor, inputs: [{ txid: f0.getId(), vout: 0, value: 50_000n, change: false, index: 0 }] };
  const mainnetAddr = payments.p2wpkh({ pubkey: A.publicKey, network: networks.bitcoin }).address ?? '';
  assert.equal(codeOf(() => createPsbt({ ...base, outputs: [{ address: mainnetAddr, value: 1_000n }] })), 'NETWORK_MISMATCH');
  assert.equal(codeOf(() => createPsbt({ ...base, outputs: [{ address: 'bcrt1qnotanaddress', value: 1_000n }] })), 'INVALID_ADDRESS');
  assert.equal(codeOf(() => createPsbt({ ...base, outputs: [{ address: PAYEE, value: 50_001n }] })), 'INSUFFICIENT_FUNDS');
  const noChecksum = descriptor.slice(0, descriptor.indexOf('#'));
  assert.equal(codeOf(() => createPsbt({ ...base, descriptor: noChecksum, outputs: [{ address: PAYEE, value: 1_000n }] })), 'INVALID_DESCRIPTOR');
  const wrongChecksum = `${noChecksum}#${descriptor.endsWith('qqqqqqqq') ? 'pppppppp' : 'qqqqqqqq'}`;
  assert.equal(codeOf(() => createPsbt({ ...base, descriptor: wrongChecksum, outputs: [{ address: PAYEE, value: 1_000n }] })), 'INVALID_DESCRIPTOR');
  const legacy = withChecksum(`sh(sortedmulti(2,${keyExpr(A)},${keyExpr(B)},${keyExpr(C)}))`);
  const f1 = funding(legacy, 0, 0, 50_000n, 10);
  const legacyInput = { txid: f1.getId(), vout: 0, value: 50_000n, change: false, index: 0 };
  assert.equal(codeOf(() => createPsbt({ network: 'regtest', descriptor: legacy, inputs: [legacyInput], outputs: [{ address: PAYEE, value: 49_000n }] })), 'INVALID_ARGUMENT');
  // with the previous transaction, legacy P2SH multisig works end to end
  const unsigned = createPsbt({ network: 'regtest', descriptor: legacy, inputs: [{ ...legacyInput, nonWitnessUtxo: f1.toBuffer() }], outputs: [{ address: PAYEE, value: 49_000n }] });
  const a = signPsbtWithKey(unsigned, parseExtendedPrivateKey(A.toBase58(), 'key A')).psbt;
  const b = signPsbtWithKey(unsigned, parseExtendedPrivateKey(C.toBase58(), 'key C')).psbt;
  const tx = Transaction.fromHex(extractTransaction(finalizePsbt(combinePsbts([a, b]))).hex);
  consensusVerify(tx, [{ script: f1.outs[0]?.script ?? new Uint8Array(), value: 50_000n }]);
});

test('miniscript recovery path: the recovery key alone is refused until the timelock (nSequence) is set, then spends', () => {
  const descriptor = VAULTS.miniscript;
  const f = funding(descriptor, 0, 1, 60_000n, 11);
  const unsigned = createPsbt({ network: 'regtest', descriptor, inputs: [{ txid: f.getId(), vout: 0, value: 60_000n, change: false, index: 1 }], outputs: [{ address: PAYEE, value: 59_000n }] });
  const byR = signPsbtWithKey(unsigned, parseExtendedPrivateKey(R.toBase58(), 'recovery')).psbt;
  verifyPartialSignatures(byR, descriptor, 'regtest');
  assert.equal(inspectPsbt(byR, { network: 'regtest', descriptor }).complete, false);
  assert.throws(() => finalizePsbt(byR, { network: 'regtest', descriptor }), (e: unknown) => isDomainError(e) && e.code === 'PSBT_INCOMPLETE' && /nSequence 52560/.test(e.message));

  // with nSequence = 52560 (the relative timelock) the recovery key alone spends
  const timelocked = createPsbt({ network: 'regtest', descriptor, inputs: [{ txid: f.getId(), vout: 0, value: 60_000n, change: false, index: 1, sequence: 52560 }], outputs: [{ address: PAYEE, value: 59_000n }] });
  const signed = signPsbtWithKey(timelocked, parseExtendedPrivateKey(R.toBase58(), 'recovery')).psbt;
  assert.equal(inspectPsbt(signed, { network: 'regtest', descriptor }).complete, true);
  const tx = Transaction.fromHex(extractTransaction(finalizePsbt(signed, { network: 'regtest', descriptor })).hex);
  consensusVerify(tx, [{ script: f.outs[0]?.script ?? new Uint8Array(), value: 60_000n }]);
  // the oracle can fail: one block short of the timelock, the same witness is refused
  // (the signature commits to nSequence as well, so this is not a test of CSV alone)
  const early = Transaction.fromHex(tx.toHex());
  const inp0 = early.ins[0];
  assert.ok(inp0);
  inp0.sequence = 52559;
  assert.throws(() => consensusVerify(early, [{ script: f.outs[0]?.script ?? new Uint8Array(), value: 60_000n }]));
});

test('taproot 2-of-3 tr(NUMS,sortedmulti_a(2,A,B,C)): create, sign separately, combine, finalize (script path), verify', () => {
  // BIP341's provably unspendable internal key H: only the script path can spend
  const NUMS = '50929b74c1a04954b78b4b6035e97a5e078a5a0f28ec96d547bfee9ace803ac0';
  const descriptor = withChecksum(`tr(${NUMS},sortedmulti_a(2,${keyExpr(A)},${keyExpr(B)},${keyExpr(C)}))`);
  const f0 = funding(descriptor, 0, 0, 150_000n, 21);
  const f1 = funding(descriptor, 1, 4, 80_000n, 22);
  const unsigned = createPsbt({
    network: 'regtest',
    descriptor,
    inputs: [
      { txid: f0.getId(), vout: 0, value: 150_000n, change: false, index: 0 },
      { txid: f1.getId(), vout: 0, value: 80_000n, change: true, index: 4 },
    ],
    outputs: [{ address: PAYEE, value: 200_000n }, { change: true, index: 5, value: 29_000n }],
  });
  const { psbt } = decodePsbt(unsigned, 'regtest');
  for (const inp of psbt.data.inputs) {
    assert.equal(inp.tapBip32Derivation?.length, 3);
    assert.equal(inp.tapLeafScript?.length, 1);
    assert.equal(Buffer.from(inp.tapInternalKey ?? []).toString('hex'), NUMS);
  }
  assert.equal(psbt.data.outputs[1]?.tapBip32Derivation?.length, 3);
  const inspected = inspectPsbt(unsigned, { network: 'regtest', descriptor });
  assert.deepEqual(inspected.outputs.map((o) => [o.ours, o.change]), [[false, false], [true, true]]);
  assert.deepEqual(inspected.inputs.map((i) => i.required), [null, null]);

  const partA = signPsbtWithKey(unsigned, parseExtendedPrivateKey(A.toBase58(), 'key A'));
  const partC = signPsbtWithKey(unsigned, parseExtendedPrivateKey(C.toBase58(), 'key C'));
  assert.equal(partA.added, 2);
  verifyPartialSignatures(partA.psbt, descriptor, 'regtest');
  verifyPartialSignatures(partC.psbt, descriptor, 'regtest');
  assert.equal(inspectPsbt(partA.psbt, { network: 'regtest', descriptor }).complete, false);
  assert.equal(codeOf(() => finalizePsbt(partA.psbt, { network: 'regtest', descriptor })), 'PSBT_INCOMPLETE');

  const combined = combinePsbts([partA.psbt, partC.psbt]);
  assert.deepEqual(inspectPsbt(combined, { network: 'regtest', descriptor }).inputs.map((i) => i.signatures), [2, 2]);
  assert.equal(inspectPsbt(combined, { network: 'regtest', descriptor }).complete, true);
  assert.equal(codeOf(() => finalizePsbt(combined, { network: 'regtest' })), 'PSBT_INCOMPLETE', 'taproot needs the descriptor');
  const out = extractTransaction(finalizePsbt(combined, { network: 'regtest', descriptor }));
  assert.equal(out.fee, 1_000n);
  const tx = Transaction.fromHex(out.hex);
  for (const inp of tx.ins) assert.equal(inp.witness.length, 5, 'three signature slots (one empty), leaf script, control block');
  const prevouts = [f0.outs[0], f1.outs[0]].map((o) => ({ script: o?.script ?? new Uint8Array(), value: o?.value ?? 0n }));
  // bcoin predates taproot: the tapscript is checked with the BIP-322 interpreter, which the
  // BIP-322 taproot vectors (key path and script path) validate
  for (let i = 0; i < tx.ins.length; i++) verifyInput(tx, i, prevouts);
  const bad = Transaction.fromHex(out.hex);
  const sigItem = bad.ins[1]?.witness.find((w) => w.length === 64);
  assert.ok(sigItem);
  sigItem[5] = (sigItem[5] ?? 0) ^ 1;
  assert.throws(() => verifyInput(bad, 1, prevouts), ScriptFailure);

  // a forged taproot partial signature is refused
  const forged = decodePsbt(partA.psbt, 'regtest').psbt;
  const ts = forged.data.inputs[0]?.tapScriptSig?.[0];
  assert.ok(ts);
  ts.signature[3] = (ts.signature[3] ?? 0) ^ 1;
  assert.equal(codeOf(() => verifyPartialSignatures(forged.toBase64(), descriptor, 'regtest')), 'INVALID_SIGNATURE');
});

test("'h' hardened markers in key origins are written as hardened derivations (wsh and tr vaults)", () => {
  const NUMS = '50929b74c1a04954b78b4b6035e97a5e078a5a0f28ec96d547bfee9ace803ac0';
  for (const body of [
    `wsh(sortedmulti(2,${keyExpr(A)},${keyExpr(B)},${keyExpr(C)}))`,
    `tr(${NUMS},sortedmulti_a(2,${keyExpr(A)},${keyExpr(B)},${keyExpr(C)}))`,
  ]) {
    const descriptor = withChecksum(body.replace(/'/g, 'h'));
    const f = funding(descriptor, 0, 2, 40_000n, 31);
    const unsigned = createPsbt({ network: 'regtest', descriptor, inputs: [{ txid: f.getId(), vout: 0, value: 40_000n, change: false, index: 2 }], outputs: [{ address: PAYEE, value: 39_000n }] });
    const inp = decodePsbt(unsigned, 'regtest').psbt.data.inputs[0];
    const paths = [...(inp?.bip32Derivation ?? []), ...(inp?.tapBip32Derivation ?? [])].map((d) => d.path);
    assert.deepEqual([...new Set(paths)], ["m/48'/1'/0'/2'/0/2"]);
    // the signer derives the declared path and finds its key
    assert.equal(signPsbtWithKey(unsigned, parseExtendedPrivateKey(B.toBase58(), 'key B')).added, 1);
  }
});
