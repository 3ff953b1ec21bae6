// Settlement instruction files (issue #16 item 5, direct mode): what is built is parsed back
// identically, and the strict parser refuses every kind of damaged or ill-formed file with
// INVALID_IMPORT and one line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildInstruction, parseInstruction, serializeInstruction } from '../../src/core/settlement/instruction.ts';
import type { Sats } from '../../src/core/money.ts';

const A = 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080';
const B = 'bcrt1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qzf5hd5';
const good = buildInstruction({ network: 'regtest', cycle: '2026-W01', mode: 'direct', payer: 'RUS', payments: [{ member: 'SLV', address: A, sats: 1_250_000n as Sats }, { member: 'PAK', address: B, sats: 40_000n as Sats }] });

test('an instruction survives serialize then parse unchanged, total and hash included', () => {
  const back = parseInstruction(serializeInstruction(good));
  assert.deepEqual(back, good);
  assert.equal(back.totalSats, 1_290_000n);
  assert.match(back.sha256, /^[0-9a-f]{64}$/);
});

function mutate(f: (o: Record<string, unknown>) => void): string {
  const o = JSON.parse(serializeInstruction(good)) as Record<string, unknown>;
  f(o);
  return JSON.stringify(o);
}

const refusals: [string, string, RegExp][] = [
  ['not JSON', '{"format":', /not JSON/],
  ['an array', '[]', /not a JSON object/],
  ['an edited amount', mutate((o) => { (o.payments as { sats: string }[])[0]!.sats = '1250001'; o.totalSats = '1290001'; }), /SHA-256 does not match/],
  ['a total that does not add up', mutate((o) => { o.totalSats = '1'; }), /add up/],
  ['an unknown field', mutate((o) => { o.extra = 1; }), /unknown field "extra"/],
  ['a missing field', mutate((o) => { delete o.cycle; }), /missing field "cycle"/],
  ['another format', mutate((o) => { o.format = 'x'; }), /format/],
  ['a future version', mutate((o) => { o.version = 2; }), /version 2 is not supported/],
  ['an unknown network', mutate((o) => { o.network = 'mainnet'; }), /unknown network/],
  ['sats as a number', mutate((o) => { (o.payments as { sats: unknown }[])[0]!.sats = 1250000; }), /positive whole number/],
  ['zero sats', mutate((o) => { (o.payments as { sats: unknown }[])[0]!.sats = '0'; }), /positive whole number/],
  ['a negative amount', mutate((o) => { (o.payments as { sats: unknown }[])[0]!.sats = '-5'; }), /positive whole number/],
  ['the payer paid', mutate((o) => { (o.payments as { member: unknown }[])[0]!.member = 'RUS'; }), /pays the payer/],
  ['a member paid twice', mutate((o) => { (o.payments as { member: unknown }[])[1]!.member = 'SLV'; }), /paid twice/],
  ['no payments', mutate((o) => { o.payments = []; }), /non-empty/],
  ['an escrow file paying a member', mutate((o) => { o.mode = 'escrow'; }), /exactly one payment, to ALLIANCE/],
  ['a bad address', mutate((o) => { (o.payments as { address: unknown }[])[0]!.address = 'x y'; }), /address/],
];
for (const [what, text, re] of refusals) {
  test(`the parser refuses ${what} (INVALID_IMPORT, one line)`, () => {
    assert.throws(() => parseInstruction(text), (e: unknown) => {
      const err = e as { code?: string; message: string };
      assert.equal(err.code, 'INVALID_IMPORT');
      assert.match(err.message, re);
      assert.ok(!err.message.includes('\n'));
      return true;
    });
  });
}
