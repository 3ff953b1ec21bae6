// The proof of reserves is built and signed in linear time over hundreds of UTXOs (addInputsLinear,
// the software signer's per-call key cache) and the bytes are exactly those of the one-input-at-a-time
// construction: pinned digests computed with the code before the change, and the bitcoinjs-lib
// `addInput` loop as a reference. No node needed: the UTXOs are made up, nothing is broadcast.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Psbt, networks } from 'bitcoinjs-lib';
import { checksum } from '@bitcoinerlab/descriptors';
import { cosigner, multisigDescriptor } from '../helpers/vault-keys.ts';
import { NUMS_INTERNAL_KEY } from '../../src/core/vault/formats/wallet-config.ts';
import { buildProofPsbt } from '../../src/core/por/build.ts';
import { addInputsLinear, createPsbt, decodePsbt, verifyPsbtInputs, type PsbtInputFields } from '../../src/core/bitcoin/psbt.ts';
import { parseExtendedPrivateKey, signPsbtWithKey } from '../../src/adapters/signers/software-signer.ts';

const A = cosigner(0xa1);
const B = cosigner(0xb2);
const C = cosigner(0xc3);
const WSH = multisigDescriptor(2, [A, B, C]);
const trText = `tr(${NUMS_INTERNAL_KEY},multi_a(2,${A.keyExpr},${B.keyExpr},${C.keyExpr}))`;
const TR = `${trText}#${checksum(trText)}`;

const txid = (s: string): string => createHash('sha256').update(s).digest('hex');
const digest = (s: string): string => createHash('sha256').update(s).digest('hex');

/** 40 UTXOs of a P2WSH 2-of-3 vault (both branches) and 8 of a taproot multi_a vault, in txid order. */
const INPUTS = [
  ...Array.from({ length: 40 }, (_, i) => ({ descriptor: WSH, txid: txid(`w${i}`), vout: i % 4, value: BigInt(50_000 + i), change: i % 3 === 0, index: i })),
  ...Array.from({ length: 8 }, (_, i) => ({ descriptor: TR, txid: txid(`t${i}`), vout: i, value: BigInt(70_000 + i), change: i % 2 === 1, index: i + 2 })),
].sort((a, b) => a.txid.localeCompare(b.txid));
const WSH_INPUTS = INPUTS.filter((u) => u.descriptor === WSH);
const messageOutput = { descriptor: WSH, change: false, index: 0 };

test('the proof PSBT over many UTXOs is byte for byte the one built before inputs were added in linear time', () => {
  const built = buildProofPsbt({ network: 'regtest', message: 'golden proof', messageOutput, inputs: INPUTS });
  assert.equal(digest(built.psbt), 'b410e8ade279f0452ba7055a15de80cdba5a699c029dc4f504e4aa390a571c0b');
  const spend = createPsbt({ network: 'regtest', descriptor: WSH, inputs: WSH_INPUTS.map(({ descriptor: _d, ...u }) => u), outputs: [{ change: true, index: 7, value: 1_000_000n }] });
  assert.equal(digest(spend), '99a9bff8bce845f3c44da7544985a1819302f7ab18bb77b099ed9a07428716cc', 'a spend PSBT from createPsbt is unchanged too');
});

test('adding inputs in linear time gives the same PSBT as addInput one input at a time, and keeps its refusals', () => {
  const { psbt } = decodePsbt(buildProofPsbt({ network: 'regtest', message: 'golden proof', messageOutput, inputs: INPUTS }).psbt, 'regtest');
  const fields: PsbtInputFields[] = psbt.data.inputs.map((inp, i) => {
    const tx = psbt.txInputs[i];
    if (!tx) throw new Error(`no input ${i}`);
    return { ...inp, hash: Uint8Array.from(tx.hash), index: tx.index, sequence: tx.sequence } as PsbtInputFields;
  });
  const fresh = (): Psbt => {
    const p = new Psbt({ network: networks.regtest });
    p.setVersion(psbt.version);
    p.setLocktime(psbt.locktime);
    if (psbt.data.globalMap.globalXpub) p.updateGlobal({ globalXpub: psbt.data.globalMap.globalXpub });
    return p;
  };
  const reference = fresh();
  for (const f of fields) reference.addInput(f);
  const linear = fresh();
  addInputsLinear(linear, fields);
  for (const p of [reference, linear]) p.addOutput({ script: Uint8Array.of(0x6a), value: 0n });
  assert.equal(linear.toBase64(), reference.toBase64());
  assert.equal(linear.toBase64(), psbt.toBase64());

  // the library's own checks still run: a repeated outpoint, a PSBT that is already signed
  assert.throws(() => addInputsLinear(fresh(), [fields[1] as PsbtInputFields, fields[1] as PsbtInputFields]), /Duplicate input/);
  const signed = decodePsbt(signPsbtWithKey(linear.toBase64(), parseExtendedPrivateKey(A.root.toBase58(), 'test key')).psbt, 'regtest').psbt;
  assert.throws(() => addInputsLinear(signed, [{ hash: txid('late'), index: 0 }]), /signatures exist/);
});

test('the software signer signs every input with the keys it derives once per call: same ECDSA signatures as before, taproot signatures verify', () => {
  const wshOnly = buildProofPsbt({ network: 'regtest', message: 'golden proof', messageOutput, inputs: WSH_INPUTS });
  // from the master key (hardened account path) and from the account key (BIP32 origin below it)
  const fromRoot = signPsbtWithKey(wshOnly.psbt, parseExtendedPrivateKey(A.root.toBase58(), 'test key'));
  const fromAccount = signPsbtWithKey(wshOnly.psbt, parseExtendedPrivateKey(B.account.toBase58(), 'test key'));
  assert.equal(fromRoot.added, WSH_INPUTS.length + 1);
  assert.equal(fromAccount.added, WSH_INPUTS.length + 1);
  assert.equal(digest(fromRoot.psbt), '3732cdc94ff20c2e6cf02b6b84b96424c5b2289e2cc6f3794097f1fa40761197');
  assert.equal(digest(fromAccount.psbt), '88425e84e4047980e8f5d3614831e0eca88cf52e326eac5eb3206a653fed935d');
  // BIP340 signatures carry fresh auxiliary randomness: checked by verification, not by bytes
  const trInputs = INPUTS.filter((u) => u.descriptor === TR);
  const trProof = buildProofPsbt({ network: 'regtest', message: 'golden proof', messageOutput: { descriptor: TR, change: false, index: 0 }, inputs: trInputs });
  const trSigned = signPsbtWithKey(trProof.psbt, parseExtendedPrivateKey(C.root.toBase58(), 'test key'));
  assert.equal(trSigned.added, trInputs.length + 1);
  const v = verifyPsbtInputs(trSigned.psbt, { descriptor: TR, network: 'regtest', proposal: trProof.psbt });
  assert.deepEqual(v.inputs.map((x) => x.signatures), new Array(trInputs.length + 1).fill(1));
});

test('a signature that verified once is not verified again, and a changed signature for the same input and key is still refused', () => {
  const proof = buildProofPsbt({ network: 'regtest', message: 'golden proof', messageOutput, inputs: WSH_INPUTS.slice(0, 3) });
  const signed = signPsbtWithKey(proof.psbt, parseExtendedPrivateKey(A.root.toBase58(), 'test key')).psbt;
  const opts = { descriptor: WSH, network: 'regtest' as const, proposal: proof.psbt };
  assert.deepEqual(verifyPsbtInputs(signed, opts).inputs.map((x) => x.signatures), [1, 1, 1, 1]);
  assert.deepEqual(verifyPsbtInputs(signed, opts).inputs.map((x) => x.signatures), [1, 1, 1, 1], 'the second check gives the same verdict');
  const { psbt } = decodePsbt(signed, 'regtest');
  const sig = psbt.data.inputs[2]?.partialSig?.[0];
  assert.ok(sig);
  const tampered = Uint8Array.from(sig.signature);
  tampered[10] = (tampered[10] ?? 0) ^ 1; // inside r: still DER, no longer a valid signature
  sig.signature = tampered;
  assert.throws(() => verifyPsbtInputs(psbt.toBase64(), opts), { code: 'INVALID_SIGNATURE' });
});
