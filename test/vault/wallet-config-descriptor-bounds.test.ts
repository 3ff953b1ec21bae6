// The wallet-file path (Caravan, Coldcard, BSMS all derive through wallet-config.ts) refuses a
// descriptor beyond the linear-time bounds before the descriptor library parses it (issue #19
// item 6): a 100,000-character descriptor is INVALID_DESCRIPTOR naming the bound, not a long parse.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deriveAddress } from '../../src/core/vault/formats/wallet-config.ts';

test('deriveAddress refuses a 100,000-character descriptor on its length', () => {
  const huge = `wsh(multi(1,${'02'.padEnd(66, 'a')},${'x'.repeat(100_000)}))`;
  assert.throws(() => deriveAddress(huge, 'main', 0, 0), (e: unknown) => (e as { code?: string }).code === 'INVALID_DESCRIPTOR' && /characters|long/i.test((e as Error).message));
});
