// Every refusal the issue lists, each with the code and a message that names the problem:
// wrong/missing checksum, the same key twice in one multisig (by xpub and by derived key),
// threshold 0 or above the key count, keys of different networks, a hardened step after an xpub,
// an unparsable key; and the network checks before deriving.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bip32 } from '../../src/core/bitcoin/ecc.ts';
import { checkDescriptorNetwork, deriveAddresses, descriptorChecksum, parseDescriptor } from '../../src/core/bitcoin/descriptor.ts';
import { addressToScript } from '../../src/core/bitcoin/address.ts';
import { DomainError, type ErrorCode } from '../../src/core/errors.ts';

const X1 = 'xpub6ERApfZwUNrhLCkDtcHTcxd75RbzS1ed54G1LkBUHQVHQKqhMkhgbmJbZRkrgZw4koxb5JaHWkY4ALHY2grBGRjaDMzQLcgJvLJuZZvRcEL';
const X2 = 'xpub68NZiKmJWnxxS6aaHmn81bvJeTESw724CRDs6HbuccFQN9Ku14VQrADWgqbhhTHBaohPX4CjNLf9fq9MYo6oDaPPLPxSb7gwQN3ih19Zm4Y';
const X3 = 'xpub661MyMwAqRbcFW31YEwpkMuc5THy2PSt5bDMsktWQcFF8syAmRUapSCGu8ED9W6oDMSgv6Zz8idoc4a6mr8BDzTJY47LJhkJ8UB7WEGuduB';
const T1 = 'tpubDFmMwTXpkvHSSZdwNYkf8rmq4WBLrn4sgpijxznXLY7NgUtWapXZj8UE4ciG4G5m57X1n4qaFmTi2M7W2ZbrdFL9o2qArr6fBGsbkUSB2JC';
const withSum = (body: string): string => `${body}#${descriptorChecksum(body)}`;

function refused(code: ErrorCode, pattern: RegExp, fn: () => unknown): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof DomainError, `expected DomainError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.match(e.message, pattern);
    assert.equal(e.message.includes('\n'), false, 'one line');
    return true;
  });
}

test('a good 2-of-3 vault parses (the control for every refusal below)', () => {
  const d = parseDescriptor(withSum(`wsh(sortedmulti(2,${X1}/<0;1>/*,${X2}/<0;1>/*,${X3}/<0;1>/*))`));
  assert.equal(d.type, 'wsh-sortedmulti');
  assert.equal(d.threshold, 2);
  assert.equal(d.keys.length, 3);
});

test('wrong checksum', () => {
  const body = `wsh(sortedmulti(2,${X1}/0/*,${X2}/0/*,${X3}/0/*))`;
  const other = descriptorChecksum(`wsh(sortedmulti(2,${X1}/0/*,${X2}/0/*,${X3}/1/*))`);
  refused('INVALID_DESCRIPTOR', /checksum .* does not match/, () => parseDescriptor(`${body}#${other}`));
});

test('missing checksum is refused by default and allowed only with requireChecksum: false', () => {
  const body = `wsh(sortedmulti(2,${X1}/0/*,${X2}/0/*,${X3}/0/*))`;
  refused('INVALID_DESCRIPTOR', /no checksum/, () => parseDescriptor(body));
  assert.equal(parseDescriptor(body, { requireChecksum: false }).descriptor, withSum(body));
});

test('the same xpub twice in one multisig (bdk_wallet#560), even on different paths', () => {
  refused('INVALID_DESCRIPTOR', /same key appears twice in sortedmulti/, () => parseDescriptor(withSum(`wsh(sortedmulti(2,${X1}/0/*,${X2}/0/*,${X1}/0/*))`)));
  refused('INVALID_DESCRIPTOR', /same key appears twice/, () => parseDescriptor(withSum(`wsh(sortedmulti(2,${X1}/0/*,${X2}/0/*,${X1}/1/*))`)));
});

test('the same key twice by derived public key: an xpub next to its own child xpub', () => {
  const child = bip32().fromBase58(X1).derive(0).toBase58(); // X1/0 as its own xpub
  refused('INVALID_DESCRIPTOR', /same key appears twice/, () => parseDescriptor(withSum(`wsh(multi(2,${X1}/0/*,${X2}/0/*,${child}/*))`)));
});

test('the same plain public key twice, compressed and x-only forms alike', () => {
  const pk = bip32().fromBase58(X1).derive(0).derive(0).publicKey;
  const hex = Buffer.from(pk).toString('hex');
  refused('INVALID_DESCRIPTOR', /same key appears twice/, () => parseDescriptor(withSum(`sh(multi(2,${hex},${X2}/0/*,${hex}))`)));
  refused('INVALID_DESCRIPTOR', /same key appears twice in multi_a/, () => parseDescriptor(withSum(`tr(${X3}/0/*,multi_a(1,${hex.slice(2)},${X1}/0/*))`)));
});

test('threshold 0 or above the key count', () => {
  refused('INVALID_DESCRIPTOR', /threshold 0 is outside 1\.\.3/, () => parseDescriptor(withSum(`wsh(sortedmulti(0,${X1}/0/*,${X2}/0/*,${X3}/0/*))`)));
  refused('INVALID_DESCRIPTOR', /threshold 4 is outside 1\.\.3/, () => parseDescriptor(withSum(`wsh(multi(4,${X1}/0/*,${X2}/0/*,${X3}/0/*))`)));
  refused('INVALID_DESCRIPTOR', /threshold 3 is outside 1\.\.2/, () => parseDescriptor(withSum(`tr(${X3}/0/*,sortedmulti_a(3,${X1}/0/*,${X2}/0/*))`)));
});

test('keys of different networks (xpub with tpub)', () => {
  refused('INVALID_DESCRIPTOR', /different networks.*mainnet.*testnet/, () => parseDescriptor(withSum(`wsh(sortedmulti(2,${X1}/0/*,${T1}/0/*,${X3}/0/*))`)));
});

test('a hardened step after an xpub', () => {
  refused('INVALID_DESCRIPTOR', /hardened step "1h" .*watch-only/, () => parseDescriptor(withSum(`wsh(sortedmulti(2,${X1}/1h/*,${X2}/0/*,${X3}/0/*))`)));
  refused('INVALID_DESCRIPTOR', /hardened step "\*'"/, () => parseDescriptor(withSum(`wpkh(${X1}/0/*')`)));
  refused('INVALID_DESCRIPTOR', /hardened step "<0h;1h>"/, () => parseDescriptor(withSum(`wpkh(${X1}/<0h;1h>/*)`)));
});

test('an unparsable key: a broken xpub, a SLIP-132 Zpub, garbage', () => {
  const broken = X1.slice(0, -1) + (X1.endsWith('L') ? 'M' : 'L');
  refused('INVALID_DESCRIPTOR', /unparsable extended key/, () => parseDescriptor(withSum(`wsh(sortedmulti(2,${broken}/0/*,${X2}/0/*,${X3}/0/*))`)));
  refused('INVALID_DESCRIPTOR', /SLIP-132/, () => parseDescriptor(withSum('wpkh(Zpub74kbYv5LXvBaJRcbSiihEEwuDiBSDztjtpSVmt6C6nB3ntbcEy4pLP3cJGVWsKbYKaAynfCwXnkuVncPGQ9Y4XwWJDWrDMUwTztdxBe7GcM/0/*)')));
  refused('INVALID_DESCRIPTOR', /unparsable key "notakey"/, () => parseDescriptor(withSum('wpkh(notakey)')));
  refused('INVALID_DESCRIPTOR', /not a point on the curve/, () => parseDescriptor(withSum(`wpkh(02${'00'.repeat(32)})`)));
});

test('malformed structure and unsupported functions are refused, not crashed on', () => {
  refused('INVALID_DESCRIPTOR', /expected "\)"/, () => parseDescriptor('wsh(multi(1,' + X1, { requireChecksum: false }));
  refused('INVALID_DESCRIPTOR', /empty/, () => parseDescriptor('   '));
  refused('INVALID_DESCRIPTOR', /not valid or not supported/, () => parseDescriptor(withSum(`wsh(wpkh(${X1}/0/*))`)));
  refused('INVALID_ADDRESS', /addr\(\) holds no valid bitcoin address/, () => parseDescriptor(withSum('addr(bc1qnotanaddress)')));
});

test('deriving a tpub descriptor on mainnet, or an xpub one on test/signet/regtest, is a NETWORK_MISMATCH', () => {
  const tpubVault = parseDescriptor(withSum(`wpkh(${T1}/0/*)`));
  refused('NETWORK_MISMATCH', /testnet keys .* network is mainnet/, () => checkDescriptorNetwork(tpubVault, 'main'));
  for (const n of ['test', 'signet', 'regtest'] as const) checkDescriptorNetwork(tpubVault, n);
  const xpubVault = parseDescriptor(withSum(`wpkh(${X1}/0/*)`));
  for (const n of ['test', 'signet', 'regtest'] as const) {
    refused('NETWORK_MISMATCH', /mainnet keys .* network is/, () => deriveAddresses(xpubVault, { network: n, start: 0, count: 1 }));
  }
});

test('addr() of another network is a NETWORK_MISMATCH naming the address network', () => {
  const d = parseDescriptor(withSum('addr(tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx)'));
  assert.equal(d.network, null);
  refused('NETWORK_MISMATCH', /is for testnet, not mainnet/, () => checkDescriptorNetwork(d, 'main'));
  assert.deepEqual(deriveAddresses(d, { network: 'signet', start: 0, count: 1 }).map((a) => a.address), ['tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx']);
  refused('INVALID_ADDRESS', /not a valid bitcoin address/, () => addressToScript('bc1qnotanaddress', 'main'));
});

test('derive bounds: count 0, above 10,000, negative start', () => {
  const d = parseDescriptor(withSum(`wpkh(${X1}/0/*)`));
  refused('INVALID_ARGUMENT', /count 0/, () => deriveAddresses(d, { network: 'main', start: 0, count: 0 }));
  refused('INVALID_ARGUMENT', /count 10001/, () => deriveAddresses(d, { network: 'main', start: 0, count: 10_001 }));
  refused('INVALID_ARGUMENT', /start index -1/, () => deriveAddresses(d, { network: 'main', start: -1, count: 1 }));
});
