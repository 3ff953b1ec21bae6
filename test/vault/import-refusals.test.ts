// Imports that must be refused, each with its reason, in every format that can express it:
// a duplicated key (bdk_wallet#560), a missing fingerprint, a wrong network, an impossible
// threshold, an unknown script type, malformed text (with the line number where there is one).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCaravan } from '../../src/core/vault/formats/caravan.ts';
import { parseColdcard } from '../../src/core/vault/formats/coldcard.ts';
import { importWalletConfig } from '../../src/core/vault/formats/detect.ts';
import { convertExtendedPublicKey } from '../../src/core/vault/formats/slip132.ts';
import { walletConfigFromDescriptor } from '../../src/core/vault/formats/wallet-config.ts';
import { DomainError } from '../../src/core/errors.ts';
import type { ErrorCode } from '../../src/core/errors.ts';

const DIR = join(import.meta.dirname, '..', 'vectors', 'interop');
const read = (f: string): string => readFileSync(join(DIR, f), 'utf8');
const CARAVAN_M = read('caravan/bitcoin-2-of-2-P2WSH_MAINNET.json');
const CARAVAN_T = read('caravan/bitcoin-2-of-2-P2SH-P2WSH_TESTNET.json');
const COLDCARD_M = read('caravan/wc-p2wsh_m.coldcard.txt');
const COLDCARD_T = read('caravan/wc-p2sh-p2wsh_t.coldcard.txt');

type Doc = { extendedPublicKeys: Record<string, unknown>[]; quorum: Record<string, unknown> } & Record<string, unknown>;
const docM = (): Doc => JSON.parse(CARAVAN_M) as Doc;
const X1 = docM().extendedPublicKeys[0]?.['xpub'] as string;
const X2 = docM().extendedPublicKeys[1]?.['xpub'] as string;
const T1 = (JSON.parse(CARAVAN_T) as Doc).extendedPublicKeys[0]?.['xpub'] as string;
const DESC = parseCaravan(CARAVAN_M).descriptor.replace(/#.*$/, '');

function refused(fn: () => unknown, code: ErrorCode, details?: Record<string, unknown>): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof DomainError, `expected a DomainError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    for (const [k, v] of Object.entries(details ?? {})) assert.equal(e.details?.[k], v, `details.${k} in "${e.message}"`);
    assert.ok(e.message.length > 10 && !e.message.includes('\n'), 'one plain line');
    return true;
  });
}

// ---- the same key twice ----------------------------------------------------------------------

test('duplicated xpub: Caravan, Coldcard, descriptor, and the same key written as Zpub and xpub', () => {
  const d = docM();
  d.extendedPublicKeys[1] = { ...d.extendedPublicKeys[1], xpub: X1 };
  refused(() => parseCaravan(JSON.stringify(d)), 'INVALID_IMPORT', { key: 2, duplicateOf: 1 });
  refused(() => parseColdcard(COLDCARD_M.replace(X2, X1)), 'INVALID_IMPORT', { key: 2, duplicateOf: 1 });
  refused(() => walletConfigFromDescriptor(DESC.replace(X2, X1)), 'INVALID_IMPORT', { key: 2, duplicateOf: 1 });
  refused(() => parseColdcard(COLDCARD_M.replace(X2, convertExtendedPublicKey(X1, 'Zpub'))), 'INVALID_IMPORT', { duplicateOf: 1 });
});

test('a duplicated key is refused even under another fingerprint and path (it is still one key)', () => {
  const d = docM();
  d.extendedPublicKeys.push({ name: 'third', bip32Path: "m/48'/0'/5'/2'", xpub: X1, xfp: 'aabbccdd' });
  d.quorum['totalSigners'] = 3;
  refused(() => parseCaravan(JSON.stringify(d)), 'INVALID_IMPORT', { key: 3, duplicateOf: 1 });
});

// ---- fingerprint -------------------------------------------------------------------------------

test('missing fingerprint: Caravan without xfp or with an empty one, Coldcard bare xpub line, descriptor key without origin', () => {
  for (const xfp of [undefined, '', '   ']) {
    const d = docM();
    d.extendedPublicKeys[0] = { ...d.extendedPublicKeys[0], xfp };
    refused(() => parseCaravan(JSON.stringify(d)), 'INVALID_IMPORT');
  }
  refused(() => parseColdcard(COLDCARD_M.replace(`00000006: ${X1}`, X1)), 'INVALID_IMPORT', { line: 9 });
  refused(() => walletConfigFromDescriptor(DESC.replace(/\[00000006[^\]]*\]/, '')), 'INVALID_IMPORT');
});

test('malformed fingerprint (not 8 hex digits) is refused', () => {
  const d = docM();
  d.extendedPublicKeys[0] = { ...d.extendedPublicKeys[0], xfp: 'xyz' };
  refused(() => parseCaravan(JSON.stringify(d)), 'INVALID_IMPORT');
  refused(() => parseColdcard(COLDCARD_M.replace('00000006:', '0006:')), 'INVALID_IMPORT', { line: 9 });
});

// ---- network -----------------------------------------------------------------------------------

test('a tpub inside a mainnet configuration is a network mismatch naming both', () => {
  const d = docM();
  d.extendedPublicKeys[1] = { ...d.extendedPublicKeys[1], xpub: T1 };
  refused(() => parseCaravan(JSON.stringify(d)), 'NETWORK_MISMATCH', { key: 2, keyNetwork: 'test', network: 'main' });
  refused(() => parseColdcard(COLDCARD_M.replace(X1, T1)), 'NETWORK_MISMATCH', { key: 2, keyNetwork: 'test', network: 'main' });
  refused(() => walletConfigFromDescriptor(DESC.replace(X2, T1)), 'NETWORK_MISMATCH', { key: 2 });
});

test('a configuration declared for one network is refused for a vault of another', () => {
  refused(() => parseCaravan(CARAVAN_M, { network: 'test' }), 'NETWORK_MISMATCH', { declared: 'main', requested: 'test' });
  refused(() => parseCaravan(CARAVAN_T, { network: 'regtest' }), 'NETWORK_MISMATCH', { declared: 'test', requested: 'regtest' });
  refused(() => parseCaravan(CARAVAN_T, { network: 'main' }), 'NETWORK_MISMATCH', { declared: 'test', requested: 'main' });
});

test('files without a declared network are checked by their keys against the vault network', () => {
  refused(() => parseColdcard(COLDCARD_T, { network: 'main' }), 'NETWORK_MISMATCH', { keyNetwork: 'test', network: 'main' });
  refused(() => parseColdcard(COLDCARD_M, { network: 'regtest' }), 'NETWORK_MISMATCH', { keyNetwork: 'main', network: 'regtest' });
  refused(() => walletConfigFromDescriptor(DESC, { network: 'signet' }), 'NETWORK_MISMATCH');
  assert.equal(parseColdcard(COLDCARD_T, { network: 'regtest' }).network, 'regtest');
});

// ---- threshold ---------------------------------------------------------------------------------

test('threshold 0 or above the number of keys is refused in every format', () => {
  for (const m of [0, 3, -1]) {
    const d = docM();
    d.quorum['requiredSigners'] = m;
    refused(() => parseCaravan(JSON.stringify(d)), 'INVALID_IMPORT');
  }
  for (const m of [0, 3]) {
    refused(() => parseColdcard(COLDCARD_M.replace('Policy: 2 of 2', `Policy: ${m} of 2`)), 'INVALID_IMPORT');
    refused(() => walletConfigFromDescriptor(DESC.replace('sortedmulti(2,', `sortedmulti(${m},`)), 'INVALID_IMPORT');
  }
  const d = docM();
  d.quorum['requiredSigners'] = '2';
  refused(() => parseCaravan(JSON.stringify(d)), 'INVALID_IMPORT');
});

test('a key count that disagrees with the declared N is refused', () => {
  const d = docM();
  d.quorum['totalSigners'] = 3;
  refused(() => parseCaravan(JSON.stringify(d)), 'INVALID_IMPORT');
  refused(() => parseColdcard(COLDCARD_M.replace('Policy: 2 of 2', 'Policy: 2 of 3')), 'INVALID_IMPORT', { line: 4 });
});

// ---- script type -------------------------------------------------------------------------------

test('unknown script types are refused: Caravan P2PKH/P2TR, Coldcard P2TR, descriptors other than sorted multisig', () => {
  for (const t of ['P2PKH', 'P2TR', '', 42]) {
    refused(() => parseCaravan(JSON.stringify({ ...docM(), addressType: t })), 'INVALID_IMPORT');
  }
  refused(() => parseColdcard(COLDCARD_M.replace('Format: P2WSH', 'Format: P2TR')), 'INVALID_IMPORT', { line: 5 });
  refused(() => walletConfigFromDescriptor(DESC.replace(/^wsh\(/, 'pkh(')), 'INVALID_IMPORT');
  refused(() => walletConfigFromDescriptor(DESC.replace('sortedmulti(', 'multi(')), 'INVALID_IMPORT');
  refused(() => walletConfigFromDescriptor(DESC.replace('sortedmulti(', 'thresh(')), 'INVALID_IMPORT');
  const tr = `tr(${X1},sortedmulti_a(1,[00000006/48h/0h/100h/2h]${X2}/<0;1>/*))`;
  refused(() => walletConfigFromDescriptor(tr), 'INVALID_IMPORT'); // internal key is not the NUMS point
});

// ---- malformed text ----------------------------------------------------------------------------

test('malformed Caravan JSON and malformed Coldcard lines are refused, Coldcard naming the line', () => {
  refused(() => parseCaravan('{"name": "x", '), 'INVALID_IMPORT');
  refused(() => parseCaravan('[]'), 'INVALID_IMPORT');
  refused(() => parseCaravan(JSON.stringify({ ...docM(), extendedPublicKeys: 'none' })), 'INVALID_IMPORT');
  refused(() => parseCaravan(JSON.stringify({ ...docM(), network: 'moonnet' })), 'INVALID_IMPORT');
  refused(() => parseColdcard(COLDCARD_M.replace('Policy: 2 of 2', 'Policy: two of two')), 'INVALID_IMPORT', { line: 4 });
  refused(() => parseColdcard(`${COLDCARD_M}\nthis line is garbage\n`), 'INVALID_IMPORT', { line: 11 });
  refused(() => parseColdcard(COLDCARD_M.replace('Name: p2wsh-m', 'Colour: blue')), 'INVALID_IMPORT', { line: 3 });
  refused(() => parseColdcard(COLDCARD_M.replace(/^Policy.*$/m, '')), 'INVALID_IMPORT');
  refused(() => parseColdcard(COLDCARD_M.replace(/^Derivation.*$/m, '')), 'INVALID_IMPORT', { line: 8 });
  refused(() => importWalletConfig('nothing we know'), 'INVALID_IMPORT');
});

test('a corrupted xpub (bad base58 checksum) and an extended private key are refused', () => {
  const broken = X1.slice(0, -1) + (X1.endsWith('b') ? 'c' : 'b');
  refused(() => parseColdcard(COLDCARD_M.replace(X1, broken)), 'INVALID_IMPORT');
  const xprv = 'xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHi';
  refused(() => parseColdcard(COLDCARD_M.replace(X1, xprv)), 'INVALID_IMPORT');
  refused(() => walletConfigFromDescriptor(DESC.replace(X1, xprv)), 'INVALID_IMPORT');
});

test('a descriptor with a wrong checksum is refused as INVALID_DESCRIPTOR', () => {
  refused(() => walletConfigFromDescriptor(`${DESC}#abcdefgh`), 'INVALID_DESCRIPTOR');
});

test('more keys than the script type allows are refused', () => {
  const keys = Array.from({ length: 16 }, (_, i) => `[${(i + 1).toString(16).padStart(8, '0')}/1]${X1}/<0;1>/*`);
  refused(() => walletConfigFromDescriptor(`sh(sortedmulti(2,${keys.join(',')}))`), 'INVALID_IMPORT');
});
