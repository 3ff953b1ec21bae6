// Proof of reserves for other vault kinds, against the embedded regtest node: a taproot
// tr(NUMS, multi_a(2,…)) vault (script path), a miniscript vault (2-of-3 or a recovery key after a
// timelock, proven through its multisig branch), and one proof over all three vaults at once (each
// input finalized with its own vault's descriptor). Also: the commitment is BIP-322's (the vectors'
// to_spend ids), the signed PSBT is a valid BIP-322 `pof` signature for the existing verifier, and
// the builder's guard refuses anything that could move coins. One node for the file.
import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Psbt, Transaction, address as bAddress, networks } from 'bitcoinjs-lib';
import { base64, hex } from '@scure/base';
import { useRegtestNode } from '../helpers/regtest.ts';
import type { JsonRpcClient } from '../../src/adapters/chain/rpc-client.ts';
import { rpcProofChainView } from '../../src/adapters/chain/por-rpc-view.ts';
import { parseExtendedPrivateKey, signPsbtWithKey } from '../../src/adapters/signers/software-signer.ts';
import { createPsbt, ensureEcc, vaultOutput } from '../../src/core/bitcoin/psbt.ts';
import { bip322ToSpend, verifyMessage } from '../../src/core/bitcoin/bip322.ts';
import { assertProofCannotMoveCoins, buildProofPsbt, committedMessage, proofToSpend } from '../../src/core/por/build.ts';
import { combineProofPsbts, finalizeProofPsbt } from '../../src/core/por/finalize.ts';
import { verifyProof, type ProofVerification } from '../../src/core/por/verify.ts';
import { makeProofFile, type ProofFile } from '../../src/core/por/proof-file.ts';
import { A, B, C, MINISCRIPT, TR_MULTI_A, WSH_2OF3, blockAt, fundVault, rpcOf, signedProof, type FundedUtxo } from './por-fixture.ts';

const regtest = useRegtestNode();
let rpc: JsonRpcClient;
const funded: Record<'tr' | 'mini' | 'wsh', FundedUtxo[]> = { tr: [], mini: [], wsh: [] };
let H: { height: number; hash: string };

before(async () => {
  const node = await regtest.ready();
  rpc = rpcOf(node);
  await node.mine(101);
  funded.tr.push(await fundVault(node, rpc, TR_MULTI_A, false, 0, 40_000_000n), await fundVault(node, rpc, TR_MULTI_A, true, 4, 2_000_000n));
  funded.mini.push(await fundVault(node, rpc, MINISCRIPT, false, 5, 30_000_000n));
  funded.wsh.push(await fundVault(node, rpc, WSH_2OF3, false, 9, 7_000_000n));
  H = await blockAt(rpc, node.height());
  await node.mine(1);
});

after(() => rpc?.close());

async function verify(file: ProofFile): Promise<ProofVerification> {
  const node = regtest.node();
  const view = rpcProofChainView({ url: node.rpcUrl, user: node.rpcUser, password: node.rpcPassword });
  try {
    return await verifyProof(file, view);
  } finally {
    view.close();
  }
}

test('a tr(NUMS, multi_a(2,…)) vault: two script-path signatures per input, verified over all inputs (BIP-341 sighash needs every spent output)', async () => {
  const p = signedProof({ message: 'Taproot reserve', block: H, utxos: funded.tr, signers: [B, C], descriptors: [TR_MULTI_A] });
  const tx = Transaction.fromHex(p.txHex);
  assert.ok(tx.ins.every((i) => i.witness.length === 5), 'multi_a 2-of-3: three signature slots (one empty), the leaf script, the control block');
  const r = await verify(p.file);
  assert.deepEqual(r.failures, []);
  assert.equal(r.provenTotal, 42_000_000n);
  // a flipped byte of a Schnorr signature is named
  const w = tx.ins[2]?.witness ?? [];
  const idx = w.findIndex((x) => x.length === 64);
  const sig = Uint8Array.from(w[idx] ?? []);
  sig[7] = (sig[7] ?? 0) ^ 0x80;
  tx.setWitness(2, w.map((x, i) => (i === idx ? sig : x)));
  const bad = await verify({ ...p.file, transactions: [{ hex: tx.toHex(), messageScript: p.built.messageScript }] });
  assert.ok(bad.failures.some((f) => f.field === 'signature' && f.input === 2), JSON.stringify(bad.failures));
});

test('a miniscript vault (2-of-3, or a recovery key after 52560 blocks) is proven through its multisig branch', async () => {
  const p = signedProof({ message: 'Miniscript reserve', block: H, utxos: funded.mini, signers: [A, C], descriptors: [MINISCRIPT], messageOutput: { descriptor: MINISCRIPT, change: false, index: 0 } });
  const r = await verify(p.file);
  assert.deepEqual(r.failures, []);
  assert.equal(r.provenTotal, 30_000_000n);
});

test('one proof over three vaults (taproot, miniscript, wsh multisig): each input finalized with its own vault, all proven', async () => {
  const utxos = [...funded.tr, ...funded.mini, ...funded.wsh];
  const p = signedProof({ message: 'All reserves of the Republic', challenge: 'Zm9yLXRoZS1hdWRpdG9yLTIwMjY', block: H, utxos, signers: [A, B], descriptors: [TR_MULTI_A, MINISCRIPT, WSH_2OF3], messageOutput: { descriptor: WSH_2OF3, change: false, index: 0 } });
  const r = await verify(p.file);
  assert.deepEqual(r.failures, []);
  assert.equal(r.provenTotal, 79_000_000n);
  assert.equal(r.utxos.length, 4);
});

test('the commitment is BIP-322\'s: to_spend of the vectors\' messages has the vectors\' ids', () => {
  ensureEcc();
  const vectors = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'vectors', 'bip322', 'basic-test-vectors.json'), 'utf8')) as { tx_hashes: { message: string; address: string; to_spend_tx_hash: string }[] };
  for (const v of vectors.tx_hashes) {
    const script = bAddress.toOutputScript(v.address, networks.bitcoin);
    assert.equal(bip322ToSpend(v.message, script).getId(), v.to_spend_tx_hash);
    if (v.message.trim() !== '' && !/[^\x20-\x7e]/.test(v.message)) assert.equal(proofToSpend(v.message, undefined, script).getId(), v.to_spend_tx_hash, 'without a challenge the message is committed as is');
  }
  assert.equal(committedMessage('Reserves', 'abcdefghijklmnop'), 'Reserves\n\nchallenge: abcdefghijklmnop');
});

test('the signed proof is a valid BIP-322 proof-of-funds ("pof") signature for the existing message verifier', () => {
  const built = buildProofPsbt({ network: 'regtest', message: 'Interop', messageOutput: { descriptor: WSH_2OF3, change: false, index: 0 }, inputs: funded.wsh });
  const partials = [A, C].map((s) => signPsbtWithKey(built.psbt, parseExtendedPrivateKey(s.root.toBase58(), 'k')).psbt);
  const final = finalizeProofPsbt(combineProofPsbts(partials, { message: 'Interop' }), { network: 'regtest', descriptors: [WSH_2OF3], commitment: { message: 'Interop' } });
  const address = vaultOutput(WSH_2OF3, 'regtest', 0, 0).getAddress();
  const v = verifyMessage(address, 'Interop', `pof${base64.encode(Psbt.fromBase64(final.psbt).toBuffer())}`, 'regtest');
  assert.equal(v.format, 'proof_of_funds');
  assert.deepEqual(v.claimedUtxos, funded.wsh.map((u) => ({ outpoint: `${u.txid}:${u.vout}`, value: u.value })));
  assert.throws(() => verifyMessage(address, 'Interop!', `pof${base64.encode(Psbt.fromBase64(final.psbt).toBuffer())}`, 'regtest'), { code: 'INVALID_SIGNATURE' });
});

test('the guard refuses anything that could move coins: a spend PSBT, an extra or paying output, another message, a locktime, a duplicated input', () => {
  const u = funded.wsh[0] as FundedUtxo;
  const built = buildProofPsbt({ network: 'regtest', message: 'Guard', messageOutput: { descriptor: WSH_2OF3, change: false, index: 0 }, inputs: [u] });
  const messageScript = hex.decode(built.messageScript);
  assert.doesNotThrow(() => assertProofCannotMoveCoins(built.psbt, { message: 'Guard' }));
  const spend = createPsbt({ network: 'regtest', descriptor: WSH_2OF3, inputs: [u], outputs: [{ address: regtest.node().walletAddress, value: u.value - 1000n }] });
  assert.throws(() => assertProofCannotMoveCoins(spend, { message: 'Guard', messageScript }), { code: 'INVALID_PSBT', message: /input 0 is not the commitment/ });
  assert.throws(() => assertProofCannotMoveCoins(built.psbt, { message: 'Guard2' }), { code: 'INVALID_PSBT', message: /input 0 is not the commitment/ });
  assert.throws(() => assertProofCannotMoveCoins(built.psbt, { message: 'Guard', challenge: 'abcdefghijklmnopq' }), { code: 'INVALID_PSBT' });
  const tx = Transaction.fromBuffer(Psbt.fromBase64(built.psbt).data.globalMap.unsignedTx.toBuffer());
  const variants: [string, (t: Transaction) => void, RegExp][] = [
    ['a second output', (t) => t.addOutput(hex.decode(`0014${'00'.repeat(20)}`), 1000n), /2 outputs/],
    ['an output that pays', (t) => { (t.outs[0] as { value: bigint }).value = 5000n; }, /not 0 sats to a bare OP_RETURN/],
    ['an output to a script', (t) => { (t.outs[0] as { script: Uint8Array }).script = hex.decode(`0014${'00'.repeat(20)}`); }, /not 0 sats to a bare OP_RETURN/],
    ['a locktime', (t) => { t.locktime = 900_000; }, /locktime/],
    ['version 1', (t) => { t.version = 1; }, /version is 1/],
    ['a duplicated input', (t) => { const i = t.ins[1]; if (i) t.addInput(i.hash, i.index, 0); }, /another input spends/],
    ['no UTXO', (t) => { t.ins.splice(1); }, /proves no UTXO/],
  ];
  for (const [what, edit, why] of variants) {
    const t = tx.clone();
    edit(t);
    assert.throws(() => assertProofCannotMoveCoins(t, { message: 'Guard', messageScript }), { code: 'INVALID_PSBT', message: why }, what);
  }
  assert.throws(() => buildProofPsbt({ network: 'regtest', message: 'two\nlines', messageOutput: { descriptor: WSH_2OF3, change: false, index: 0 }, inputs: [u] }), { code: 'INVALID_ARGUMENT' });
  assert.throws(() => buildProofPsbt({ network: 'regtest', message: 'Guard', messageOutput: { descriptor: WSH_2OF3, change: false, index: 0 }, inputs: [u, u] }), { code: 'INVALID_ARGUMENT', message: /listed twice/ });
  assert.throws(() => buildProofPsbt({ network: 'regtest', message: 'Guard', messageOutput: { descriptor: WSH_2OF3, change: false, index: 0 }, inputs: [] }), { code: 'INVALID_ARGUMENT' });
  assert.throws(() => buildProofPsbt({ network: 'regtest', message: 'Guard', challenge: 'short', messageOutput: { descriptor: WSH_2OF3, change: false, index: 0 }, inputs: [u] }), { code: 'INVALID_ARGUMENT', message: /challenge/ });
});

test('a signer\'s PSBT keeps the shape hardware signers recognise as a BIP-322 proof: version 0, input 0 carries to_spend in full, one OP_RETURN output, every input with its derivations', () => {
  const built = buildProofPsbt({ network: 'regtest', message: 'Shape', messageOutput: { descriptor: WSH_2OF3, change: false, index: 0 }, inputs: funded.wsh });
  const p = Psbt.fromBase64(built.psbt);
  assert.equal(p.version, 0);
  assert.equal(p.locktime, 0);
  const in0 = p.data.inputs[0];
  assert.equal(Transaction.fromBuffer(in0?.nonWitnessUtxo ?? new Uint8Array()).getId(), built.toSpendTxid);
  assert.equal(in0?.witnessUtxo?.value, 0n);
  assert.ok(p.data.inputs.every((i) => (i.bip32Derivation?.length ?? 0) === 3 && i.witnessScript), 'every input: three cosigner derivations and the witness script');
  assert.deepEqual(p.txOutputs.map((o) => [hex.encode(o.script), o.value]), [['6a', 0n]]);
  assert.equal((p.data.globalMap.globalXpub ?? []).length, 3);
  assert.ok(p.txInputs.every((i) => i.sequence === 0));
});

test('a proof split into two transactions (one per vault, each with its own message script) verifies as one file; a UTXO signed by neither is named', async () => {
  const message = 'Reserves, one transaction per vault';
  const tr = signedProof({ message, block: H, utxos: funded.tr, signers: [A, C], descriptors: [TR_MULTI_A] });
  const wsh = signedProof({ message, block: H, utxos: funded.wsh, signers: [B, C], descriptors: [WSH_2OF3] });
  const file = makeProofFile({
    network: 'regtest',
    message,
    block: H,
    utxos: [...tr.file.utxos, ...wsh.file.utxos],
    transactions: [...tr.file.transactions, ...wsh.file.transactions],
    descriptors: [TR_MULTI_A, WSH_2OF3],
  });
  assert.notEqual(file.transactions[0]?.messageScript, file.transactions[1]?.messageScript);
  const r = await verify(file);
  assert.deepEqual(r.failures, []);
  assert.equal(r.provenTotal, 49_000_000n);
  const onlyTr = makeProofFile({ network: 'regtest', message, block: H, utxos: file.utxos, transactions: tr.file.transactions });
  const bad = await verify(onlyTr);
  const w = funded.wsh[0] as FundedUtxo;
  assert.ok(bad.failures.some((f) => f.field === 'outpoint' && f.outpoint === `${w.txid}:${w.vout}` && /not an input of any proof transaction/.test(f.message)), JSON.stringify(bad.failures));
  assert.equal(bad.provenTotal, 42_000_000n);
});

test('finalizing refuses a proof with too few signatures (PSBT_INCOMPLETE) or an input of a vault not given (PSBT_MISMATCH), and combining refuses another proof\'s PSBT', () => {
  const utxos = [...funded.tr, ...funded.wsh];
  const built = buildProofPsbt({ network: 'regtest', message: 'Finalize', messageOutput: { descriptor: WSH_2OF3, change: false, index: 0 }, inputs: utxos });
  const sign = (psbt: string, s: typeof A): string => signPsbtWithKey(psbt, parseExtendedPrivateKey(s.root.toBase58(), 'k')).psbt;
  const one = sign(built.psbt, A);
  const commitment = { message: 'Finalize' };
  assert.throws(() => finalizeProofPsbt(one, { network: 'regtest', descriptors: [WSH_2OF3, TR_MULTI_A], commitment }), { code: 'PSBT_INCOMPLETE' });
  const two = combineProofPsbts([one, sign(built.psbt, B)], commitment);
  assert.throws(() => finalizeProofPsbt(two, { network: 'regtest', descriptors: [WSH_2OF3], commitment }), { code: 'PSBT_MISMATCH', message: /input 1 belongs to none of the given vault descriptors/ });
  assert.doesNotThrow(() => finalizeProofPsbt(two, { network: 'regtest', descriptors: [WSH_2OF3, TR_MULTI_A], commitment }));
  const other = buildProofPsbt({ network: 'regtest', message: 'Another', messageOutput: { descriptor: WSH_2OF3, change: false, index: 0 }, inputs: utxos });
  assert.throws(() => combineProofPsbts([one, sign(other.psbt, B)], commitment), { code: 'INVALID_PSBT', message: /input 0 is not the commitment/ });
});
