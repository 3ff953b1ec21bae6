// BIP-158 basic filters served by the embedded node's in-process source: built from the block and
// the coins it spent (undo data), they match the scripts a block pays and the scripts it spends,
// and a sync over them skips the blocks that cannot concern the vault.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useRegtestNode } from '../helpers/regtest.ts';
import { matchAny, decodeFilter } from '../../src/core/bitcoin/bip158.ts';
import { addressToScript } from '../../src/core/bitcoin/address.ts';

const regtest = useRegtestNode();

test('the filter of a block matches its output scripts and the scripts its inputs spent', async () => {
  const node = regtest.node();
  await node.mine(110);
  const payee = 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080';
  await node.fund(payee, 250_000n, { confirm: true });
  const src = node.chainSource();
  const tip = await src.tip();
  const filter = await src.blockFilter(tip.hash);
  assert.ok(filter instanceof Uint8Array);
  // coinbase output + payee + change (harness) + the spent harness coin's script, de-duplicated
  assert.ok(decodeFilter(filter).length >= 2);
  assert.equal(matchAny(filter, tip.hash, [addressToScript(payee, 'regtest')]), true, 'paid script');
  assert.equal(matchAny(filter, tip.hash, [addressToScript(node.walletAddress, 'regtest')]), true, 'spent (and change) script');
  const unrelated = ['bcrt1qkpad42v3wkkt9hfww7vs7udr72pm32vyz5kgphkjm5m3z57pgz0swjhzs8', 'bcrt1qnzwqxqtnmyz7tjuzxagfhkugl0g0h4ay3rgxjtx5233weskwdw0srrsk02'];
  assert.equal(matchAny(filter, tip.hash, unrelated.map((a) => addressToScript(a, 'regtest'))), false, 'unrelated scripts (false-positive rate 1/784931)');
  // The filter of an earlier block is stable and does not contain this payment.
  const prev = await src.blockHash(tip.height - 1);
  const f2 = await src.blockFilter(prev);
  assert.ok(f2);
  assert.equal(matchAny(f2, prev, [addressToScript(payee, 'regtest')]), false);
  assert.deepEqual(await src.blockFilter(prev), f2);
});
