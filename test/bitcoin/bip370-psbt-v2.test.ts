// BIP370 (PSBT v2) test vectors: invalid ones refused with INVALID_PSBT, valid ones read (by
// conversion to the equivalent v0 PSBT), and the BIP's locktime determination cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDomainError } from '../../src/core/errors.ts';
import { decodePsbt, unsignedTransaction } from '../../src/core/bitcoin/psbt.ts';
import { PSBT_IN, PSBT_OUT, determineLocktimeV2, readPsbtMaps } from '../../src/core/bitcoin/psbt-map.ts';

interface Case { description: string | null; hex: string; base64: string }
const V = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'vectors', 'bip370.json'), 'utf8')) as {
  invalid: Case[];
  valid: Case[];
  locktime: (Case & { expected_locktime: number | null; locktime_computable: boolean })[];
};

const isInvalidPsbt = (e: unknown): boolean => isDomainError(e) && e.code === 'INVALID_PSBT';

test('BIP370: every invalid vector is refused with INVALID_PSBT', () => {
  assert.equal(V.invalid.length, 24);
  for (const c of V.invalid) {
    assert.throws(() => decodePsbt(c.base64, 'test'), isInvalidPsbt, c.description ?? c.hex);
    assert.throws(() => decodePsbt(Buffer.from(c.hex, 'hex'), 'test'), isInvalidPsbt, c.description ?? c.hex);
  }
});

test('BIP370: every valid vector is read as version 2 with its inputs and outputs', () => {
  assert.equal(V.valid.length, 14);
  for (const c of V.valid) {
    const bytes = Buffer.from(c.hex, 'hex');
    const maps = readPsbtMaps(bytes);
    const { psbt, version } = decodePsbt(c.base64, 'test');
    assert.equal(version, 2, c.description ?? '');
    assert.equal(psbt.inputCount, maps.inputs.length);
    assert.equal(psbt.txOutputs.length, maps.outputs.length);
    maps.inputs.forEach((m, i) => {
      const get = (t: number): Buffer | undefined => {
        const kv = m.find((x) => x.key[0] === t);
        return kv ? Buffer.from(kv.value) : undefined;
      };
      const txin = psbt.txInputs[i];
      assert.ok(txin);
      assert.equal(Buffer.from(txin.hash).toString('hex'), get(PSBT_IN.PREVIOUS_TXID)?.toString('hex'));
      assert.equal(txin.index, get(PSBT_IN.OUTPUT_INDEX)?.readUInt32LE(0));
      assert.equal(txin.sequence, get(PSBT_IN.SEQUENCE)?.readUInt32LE(0) ?? 0xffffffff);
    });
    maps.outputs.forEach((m, i) => {
      const amount = m.find((x) => x.key[0] === PSBT_OUT.AMOUNT)?.value;
      const script = m.find((x) => x.key[0] === PSBT_OUT.SCRIPT)?.value;
      assert.equal(psbt.txOutputs[i]?.value, Buffer.from(amount ?? []).readBigUInt64LE(0));
      assert.equal(Buffer.from(psbt.txOutputs[i]?.script ?? []).toString('hex'), Buffer.from(script ?? []).toString('hex'));
    });
    // the converted transaction carries the v2 transaction version
    assert.equal(unsignedTransaction(psbt).version >= 2, true);
  }
});

test('BIP370: locktime determination matches every case of the BIP', () => {
  assert.equal(V.locktime.length, 10);
  for (const c of V.locktime) {
    const maps = readPsbtMaps(Buffer.from(c.hex, 'hex'));
    const label = c.description ?? 'unlabelled case';
    assert.equal(determineLocktimeV2(maps), c.locktime_computable ? c.expected_locktime : null, label);
    if (c.locktime_computable) assert.equal(decodePsbt(c.base64, 'test').psbt.locktime, c.expected_locktime, label);
    else assert.throws(() => decodePsbt(c.base64, 'test'), isInvalidPsbt, label);
  }
});
