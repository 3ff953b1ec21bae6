// Watch-only rule: descriptors carrying a private key (xprv/tprv or WIF) are refused, and the
// refusal never repeats the key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containsPrivateKey, refusePrivateKeys } from './private-keys.ts';
import { DomainError } from '../errors.ts';

// BIP32 test vector 1 master keys and BIP380's WIF example.
const XPRV = 'xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHi';
const XPUB = 'xpub661MyMwAqRbcFtXgS5sYJABqqG9YLmC4Q1Rdap9gSE8NqtwybGhePY2gZ29ESFjqJoCu1Rupje8YtGqsefD265TMg7usUDFdp6W1EGMcet8';
const WIF = 'L4rK1yDtCWekvXuE6oXD9jCYfFNV2cWRpVuPLBcCU2z8TrisoyY1';

test('extended private keys and WIF keys are detected; public keys are not', () => {
  assert.equal(containsPrivateKey(`wpkh(${XPRV}/0/*)`), true);
  assert.equal(containsPrivateKey(`wpkh(${WIF})`), true);
  assert.equal(containsPrivateKey(`wsh(sortedmulti(2,[d34db33f/48h/0h/0h/2h]${XPUB}/<0;1>/*,${XPUB}/1/*))`), false);
  assert.equal(containsPrivateKey('addr(32ixEdVJWo3kmvJGMTZq5jAQVZZeuwnqzo)'), false);
  assert.equal(containsPrivateKey('addr(bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx)'), false);
});

test('the refusal names the problem without echoing the key', () => {
  assert.throws(() => refusePrivateKeys(`wpkh(${XPRV}/0/*)`), (e: unknown) => {
    assert.ok(e instanceof DomainError && e.code === 'INVALID_DESCRIPTOR');
    assert.doesNotMatch(e.message, /xprv9s21/);
    assert.match(e.message, /watch-only/);
    return true;
  });
});
