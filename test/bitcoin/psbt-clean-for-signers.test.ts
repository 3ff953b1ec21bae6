// What goes to signers is sanitized, and uploads are bounded (issue #19 item 6). The reviewer's
// attack: an upload carrying a 400 KB unknown field was accepted, and the PSBT sent to the next
// signers grew from 1.4 KB to 535 KB. Now the upload is refused by the per-field caps, an import
// takes nothing but verified signatures from the file, and cleanPsbtForSigners strips unknown and
// proprietary fields while keeping every standard field (BIP174/370/371).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { BIP32Factory, type BIP32Interface } from 'bip32';
import * as ecc from '@bitcoinerlab/secp256k1';
import { checksum } from '@bitcoinerlab/descriptors';
import { Transaction, networks, payments } from 'bitcoinjs-lib';
import { sha256 } from '@noble/hashes/sha2.js';
import { isDomainError, type ErrorCode } from '../../src/core/errors.ts';
import { createPsbt, decodePsbt, finalizePsbt, vaultOutput } from '../../src/core/bitcoin/psbt.ts';
import { cleanPsbtForSigners, mergeSignatures } from '../../src/core/bitcoin/psbt-import.ts';
import { MAX_PSBT_MAP_ENTRIES, MAX_PSBT_UNKNOWN_VALUE_BYTES } from '../../src/core/bitcoin/psbt-limits.ts';
import { readPsbtMaps, writePsbtMaps } from '../../src/core/bitcoin/psbt-map.ts';
import { parseExtendedPrivateKey, signPsbtWithKey } from '../../src/adapters/signers/software-signer.ts';

const BIP32 = BIP32Factory(ecc);
const NET = networks.regtest;
const ACCOUNT = "48'/1'/0'/2'";
const NUMS = '50929b74c1a04954b78b4b6035e97a5e078a5a0f28ec96d547bfee9ace803ac0';
const master = (label: string): BIP32Interface => BIP32.fromSeed(sha256(new TextEncoder().encode(`soberana test key ${label}`)), NET);
const [A, B, C] = ['alice', 'bob', 'carol'].map(master) as [BIP32Interface, BIP32Interface, BIP32Interface];
const keyExpr = (m: BIP32Interface): string => `[${Buffer.from(m.fingerprint).toString('hex')}/${ACCOUNT}]${m.derivePath(`m/${ACCOUNT}`).neutered().toBase58()}/<0;1>/*`;
const withChecksum = (d: string): string => `${d}#${checksum(d)}`;
const PAYEE = payments.p2wpkh({ pubkey: master('payee').publicKey, network: NET }).address ?? '';

function refusal(fn: () => unknown): { code: ErrorCode | 'none'; message: string } {
  try {
    fn();
    return { code: 'none', message: '' };
  } catch (e) {
    if (isDomainError(e)) return { code: e.code, message: e.message };
    throw e;
  }
}

function proposalFor(descriptor: string): string {
  const fund = new Transaction();
  fund.addInput(new Uint8Array(32).fill(9), 0);
  fund.addOutput(vaultOutput(descriptor, 'regtest', 0, 4).getScriptPubKey(), 90_000n);
  return createPsbt({
    network: 'regtest',
    descriptor,
    inputs: [{ txid: fund.getId(), vout: 0, value: 90_000n, change: false, index: 4 }],
    outputs: [{ address: PAYEE, value: 60_000n }, { change: true, index: 5, value: 29_000n }],
  });
}
const WSH = withChecksum(`wsh(sortedmulti(2,${keyExpr(A)},${keyExpr(B)},${keyExpr(C)}))`);
const TR = withChecksum(`tr(${NUMS},sortedmulti_a(2,${keyExpr(A)},${keyExpr(B)},${keyExpr(C)}))`);

/** The PSBT with unknown and proprietary fields added to every map. */
function polluted(psbt: string, size = 100): string {
  const p = decodePsbt(psbt, 'regtest').psbt;
  const junk = (t: number, n: number): { key: Uint8Array; value: Uint8Array } => ({ key: Uint8Array.of(t, n, 7), value: new Uint8Array(size).fill(n) });
  p.addUnknownKeyValToGlobal(junk(0xfc, 1));
  p.addUnknownKeyValToGlobal(junk(0x42, 2));
  for (let i = 0; i < p.inputCount; i++) {
    p.addUnknownKeyValToInput(i, junk(0xfc, 3));
    p.addUnknownKeyValToInput(i, junk(0x19, 4)); // PSBT_IN_MUSIG2_* (BIP373): not ours, not needed
  }
  for (let o = 0; o < p.data.outputs.length; o++) p.addUnknownKeyValToOutput(o, junk(0xfc, 5));
  return p.toBase64();
}

test('cleanPsbtForSigners removes unknown and proprietary fields and keeps every standard one (wsh and tr proposals, signed and final)', () => {
  for (const descriptor of [WSH, TR]) {
    const proposal = proposalFor(descriptor);
    const signed = signPsbtWithKey(proposal, parseExtendedPrivateKey(A.toBase58(), 'a')).psbt;
    const both = signPsbtWithKey(signed, parseExtendedPrivateKey(B.toBase58(), 'b')).psbt;
    const final = finalizePsbt(both, { network: 'regtest', descriptor, keepDerivations: true });
    for (const clean of [proposal, signed, final]) {
      assert.equal(cleanPsbtForSigners(clean), clean, 'a clean PSBT is unchanged, byte for byte');
      const dirty = polluted(clean);
      assert.ok(Buffer.from(dirty, 'base64').length > Buffer.from(clean, 'base64').length + 500);
      assert.equal(cleanPsbtForSigners(dirty), clean, 'exactly the pollution is removed');
      assert.equal(cleanPsbtForSigners(Buffer.from(dirty, 'base64')), clean, 'binary in, base64 out');
    }
    // the global xpubs, derivations, scripts, taproot fields are there
    const p = decodePsbt(cleanPsbtForSigners(polluted(proposal)), 'regtest').psbt;
    const inp = p.data.inputs[0];
    assert.ok(inp?.witnessUtxo);
    if (descriptor === WSH) {
      assert.equal(p.data.globalMap.globalXpub?.length, 3);
      assert.equal(inp.bip32Derivation?.length, 3);
      assert.ok(inp.witnessScript);
      assert.equal(p.data.outputs[1]?.bip32Derivation?.length, 3);
    } else {
      assert.equal(inp.tapBip32Derivation?.length, 3);
      assert.equal(inp.tapLeafScript?.length, 1);
      assert.ok(inp.tapInternalKey);
      assert.equal(p.data.outputs[1]?.tapBip32Derivation?.length, 3);
    }
  }
});

test('BIP174/BIP370 vectors: cleaning keeps them readable, drops exactly their unknown fields, keeps v2 as v2', () => {
  const v0 = JSON.parse(readFileSync(new URL('../vectors/bip174.json', import.meta.url), 'utf8')) as { valid: { description: string; base64: string }[] };
  const unknown = v0.valid.find((v) => /unknown types in the inputs/.test(v.description));
  assert.ok(unknown);
  const before = readPsbtMaps(Buffer.from(unknown.base64, 'base64'));
  const after = readPsbtMaps(Buffer.from(cleanPsbtForSigners(unknown.base64), 'base64'));
  assert.ok(before.inputs[0]?.some((kv) => kv.key[0] === 0xf0));
  assert.deepEqual(after.inputs[0], before.inputs[0]?.filter((kv) => kv.key[0] !== 0xf0));
  assert.deepEqual(after.global, before.global);
  const v2 = JSON.parse(readFileSync(new URL('../vectors/bip370.json', import.meta.url), 'utf8')) as { valid: { base64: string }[] };
  for (const v of v2.valid) {
    const cleaned = cleanPsbtForSigners(v.base64);
    assert.equal(decodePsbt(cleaned).version, 2);
    assert.equal(decodePsbt(cleaned).psbt.toBase64(), decodePsbt(v.base64).psbt.toBase64(), 'the same transaction and fields');
  }
});

test("the reviewer's attack: an upload with a 400 KB unknown field is INVALID_PSBT; a small one is accepted but never reaches the proposal", () => {
  const proposal = proposalFor(WSH);
  const signed = signPsbtWithKey(proposal, parseExtendedPrivateKey(C.toBase58(), 'c')).psbt;
  const opts = { descriptor: WSH, network: 'regtest' as const };

  const bloated = decodePsbt(signed, 'regtest').psbt;
  bloated.addUnknownKeyValToInput(0, { key: Uint8Array.of(0xfc, 0x05, 0x65, 0x76, 0x69, 0x6c), value: new Uint8Array(400_000).fill(0x41) });
  const upload = bloated.toBase64();
  const r = refusal(() => mergeSignatures(proposal, upload, opts));
  assert.equal(r.code, 'INVALID_PSBT');
  assert.equal(r.message, `the PSBT's input 0 has an unknown or proprietary field of 400000 bytes; at most ${MAX_PSBT_UNKNOWN_VALUE_BYTES} are accepted`);

  const small = polluted(signed, 1000);
  const merged = mergeSignatures(proposal, small, opts);
  assert.equal(merged.added, 1);
  const grown = Buffer.from(merged.psbt, 'base64').length - Buffer.from(proposal, 'base64').length;
  assert.ok(grown > 0 && grown < 120, `the proposal grew by one signature only (${grown} bytes)`);
  assert.equal(cleanPsbtForSigners(merged.psbt), merged.psbt);

  // a stored proposal polluted before this fix is cleaned on its way out
  const before = polluted(proposal, MAX_PSBT_UNKNOWN_VALUE_BYTES);
  assert.equal(cleanPsbtForSigners(before), proposal);
});

test('per-field caps: too many fields, an oversize standard field, too many unknown bytes in all → INVALID_PSBT', () => {
  const proposal = proposalFor(WSH);
  const maps = readPsbtMaps(Buffer.from(proposal, 'base64'));
  const many = writePsbtMaps({ ...maps, outputs: [[...(maps.outputs[0] ?? []), ...Array.from({ length: MAX_PSBT_MAP_ENTRIES + 1 }, (_, n) => ({ key: Uint8Array.of(0xfc, n & 0xff, n >> 8), value: new Uint8Array(0) }))], ...maps.outputs.slice(1)] });
  assert.match(refusal(() => decodePsbt(many)).message, /^the PSBT's output 0 has 1001 fields; at most 1000 are accepted$/);

  const longKey = writePsbtMaps({ ...maps, global: [...maps.global, { key: new Uint8Array(300).fill(0xfc), value: new Uint8Array(1) }] });
  assert.match(refusal(() => decodePsbt(longKey)).message, /field key of 300 bytes; at most 256/);

  const sigKey = Uint8Array.of(0x02, ...(decodePsbt(proposal).psbt.data.inputs[0]?.bip32Derivation?.[0]?.pubkey ?? []));
  const fatSig = writePsbtMaps({ ...maps, inputs: [[...(maps.inputs[0] ?? []), { key: sigKey, value: new Uint8Array(200).fill(0x30) }]] });
  const r = refusal(() => decodePsbt(fatSig));
  assert.equal(r.code, 'INVALID_PSBT');
  assert.match(r.message, /input 0 has a field of type 0x02 of 200 bytes; at most 73/);

  const spread = writePsbtMaps({ ...maps, global: [...maps.global, ...Array.from({ length: 5 }, (_, n) => ({ key: Uint8Array.of(0xfc, n), value: new Uint8Array(4000) }))] });
  assert.match(refusal(() => decodePsbt(spread)).message, /more than 16384 bytes of unknown or proprietary fields/);
});
