// Descriptor bounds: oversize or over-nested descriptors are refused (INVALID_DESCRIPTOR) by a
// linear pre-check before any parser sees them, while the largest vaults a reserve uses
// (20-key multisig with xpubs and key origins, miniscript with several 20-key branches) pass.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BIP32Factory } from 'bip32';
import * as ecc from '@bitcoinerlab/secp256k1';
import { checksum } from '@bitcoinerlab/descriptors';
import { networks } from 'bitcoinjs-lib';
import { sha256 } from '@noble/hashes/sha2.js';
import { isDomainError, type ErrorCode } from '../../src/core/errors.ts';
import { parseDescriptor } from '../../src/core/bitcoin/descriptor.ts';
import { parseSyntax } from '../../src/core/bitcoin/descriptor-syntax.ts';
import { vaultOutput } from '../../src/core/bitcoin/psbt.ts';
import {
  MAX_DESCRIPTOR_ARGUMENTS,
  MAX_DESCRIPTOR_DEPTH,
  MAX_DESCRIPTOR_LENGTH,
  MAX_DESCRIPTOR_TOKEN_LENGTH,
  boundsWork,
  checkDescriptorBounds,
} from '../../src/core/bitcoin/descriptor-bounds.ts';

const BIP32 = BIP32Factory(ecc);

function keyExpr(n: number): string {
  const m = BIP32.fromSeed(sha256(new TextEncoder().encode(`bounds key ${n}`)), networks.bitcoin);
  const fp = Buffer.from(m.fingerprint).toString('hex');
  return `[${fp}/48'/0'/0'/2']${m.derivePath("m/48'/0'/0'/2'").neutered().toBase58()}/<0;1>/*`;
}
const withChecksum = (d: string): string => `${d}#${checksum(d)}`;

function refusal(fn: () => unknown): { code: ErrorCode | 'none'; message: string } {
  try {
    fn();
    return { code: 'none', message: '' };
  } catch (e) {
    if (isDomainError(e)) return { code: e.code, message: e.message };
    throw e; // a RangeError (stack overflow) or a library error would fail the test here
  }
}

const KEYS = Array.from({ length: 60 }, (_, i) => keyExpr(i));

test('a 20-key sortedmulti with xpubs and origins, and a miniscript vault with three 20-key branches, are accepted', () => {
  const twenty = withChecksum(`wsh(sortedmulti(11,${KEYS.slice(0, 20).join(',')}))`);
  assert.ok(twenty.length > 2_500 && twenty.length < MAX_DESCRIPTOR_LENGTH / 3, `20-key vault is ${twenty.length} characters`);
  assert.equal(parseDescriptor(twenty).keys.length, 20);
  assert.ok(vaultOutput(twenty, 'main', 1, 7).getScriptPubKey().length === 34);

  const three = `wsh(or_d(multi(11,${KEYS.slice(0, 20).join(',')}),or_i(and_v(v:multi(11,${KEYS.slice(20, 40).join(',')}),older(4320)),and_v(v:multi(11,${KEYS.slice(40, 60).join(',')}),older(52560)))))`;
  const d = withChecksum(three);
  assert.ok(d.length < MAX_DESCRIPTOR_LENGTH, `three-branch vault is ${d.length} characters`);
  checkDescriptorBounds(d);
  assert.equal(parseDescriptor(d).keys.length, 60);
});

test('a 100,000-character descriptor is refused by its length before any parsing (no work at all)', () => {
  const huge = `wsh(${'a'.repeat(100_000)})`;
  for (const fn of [() => parseDescriptor(huge), () => parseDescriptor(huge, { requireChecksum: false }), () => vaultOutput(`${huge}#aaaaaaaa`, 'main', 0, 0), () => parseSyntax(huge)]) {
    const r = refusal(fn);
    assert.equal(r.code, 'INVALID_DESCRIPTOR');
    assert.match(r.message, /is 1000\d\d characters long; at most 10000 are accepted/);
    assert.equal(boundsWork.chars, 0, 'refused on the length alone');
  }
});

test('deep nesting, too many arguments and an overlong argument are refused in one linear pass', () => {
  // 20,000 nested fragments overflowed the recursive parsers' stack (a RangeError, exit 1)
  const deep = 'wsh(' + 'and_v(v:pk(K),'.repeat(20_000) + 'pk(K)' + ')'.repeat(20_001);
  const r0 = refusal(() => parseDescriptor(deep, { requireChecksum: false }));
  assert.equal(r0.code, 'INVALID_DESCRIPTOR');

  const nested = 'wsh(' + 'and_v(v:pk(K),'.repeat(MAX_DESCRIPTOR_DEPTH) + 'pk(K)' + ')'.repeat(MAX_DESCRIPTOR_DEPTH + 1);
  assert.ok(nested.length < MAX_DESCRIPTOR_LENGTH);
  for (const fn of [() => parseDescriptor(nested, { requireChecksum: false }), () => vaultOutput(withChecksum(nested), 'main', 0, 0)]) {
    const r = refusal(fn);
    assert.equal(r.code, 'INVALID_DESCRIPTOR');
    assert.match(r.message, /nests deeper than 32 levels/);
    assert.ok(boundsWork.chars < 32 * 16, `stopped at the first level too deep (${boundsWork.chars} characters examined)`);
  }

  const many = `wsh(multi(2,${Array.from({ length: MAX_DESCRIPTOR_ARGUMENTS + 1 }, (_, i) => `k${i}`).join(',')}))`;
  const r1 = refusal(() => parseDescriptor(many, { requireChecksum: false }));
  assert.equal(r1.code, 'INVALID_DESCRIPTOR');
  assert.match(r1.message, /more than 100 keys or other arguments/);

  const long = `wsh(pk(${'x'.repeat(MAX_DESCRIPTOR_TOKEN_LENGTH + 1)}))`;
  const r2 = refusal(() => parseDescriptor(long, { requireChecksum: false }));
  assert.equal(r2.code, 'INVALID_DESCRIPTOR');
  assert.match(r2.message, /longer than 512 characters|512 are accepted/);
  assert.ok(boundsWork.chars <= 8 + MAX_DESCRIPTOR_TOKEN_LENGTH + 2, 'stopped inside the overlong argument');
});

test('the work of the bounds check is linear: every character examined once', () => {
  const d = withChecksum(`wsh(sortedmulti(2,${KEYS.slice(0, 3).join(',')}))`);
  checkDescriptorBounds(d);
  assert.equal(boundsWork.chars, d.indexOf('#'));
});
