// `psbt inspect` names an audit-log anchor output (OP_RETURN "SBA1" + seq + commitment, value 0)
// as what it is, not as an output with no address; any other OP_RETURN stays "no address".
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Psbt, payments } from 'bitcoinjs-lib';
import { inspectPsbt } from '../../src/core/bitcoin/psbt-inspect.ts';
import { auditAnchorScript, readAuditAnchor } from '../../src/core/audit/anchor.ts';

const HEAD = { seq: 221, hash: '3f'.repeat(32) };

function psbtWith(outputs: { script: Uint8Array; value: bigint }[]): string {
  const p = new Psbt();
  p.addInput({ hash: '11'.repeat(32), index: 0, witnessUtxo: { script: payments.p2wpkh({ hash: new Uint8Array(20).fill(7) }).output!, value: 100_000n } });
  for (const o of outputs) p.addOutput(o);
  return p.toBase64();
}

test('an audit anchor output is reported with its seq and commitment', () => {
  const pay = { script: payments.p2wpkh({ hash: new Uint8Array(20).fill(9) }).output!, value: 90_000n };
  const anchor = { script: auditAnchorScript(HEAD), value: 0n };
  const r = inspectPsbt(psbtWith([pay, anchor]), { network: 'regtest' });
  assert.equal(r.outputs[0]!.auditAnchor, null);
  assert.deepEqual(r.outputs[1]!.auditAnchor, readAuditAnchor(anchor.script));
  assert.equal(r.outputs[1]!.auditAnchor!.seq, 221);
  assert.equal(r.outputs[1]!.address, null);
});

test('another OP_RETURN, or an anchor script carrying value, is not an audit anchor', () => {
  const other = { script: payments.embed({ data: [new Uint8Array([1, 2, 3])] }).output!, value: 0n };
  const valued = { script: auditAnchorScript(HEAD), value: 1n };
  const r = inspectPsbt(psbtWith([other, valued]), { network: 'regtest' });
  assert.equal(r.outputs[0]!.auditAnchor, null);
  assert.equal(r.outputs[1]!.auditAnchor, null);
});
