// BIP129 (BSMS 1.0) records against the BIP's own test vectors: key-record signatures verify
// (and are reproduced byte for byte by signing our message digest with the vectors' private keys,
// RFC6979), descriptor records' first addresses are checked, and a wallet round-trips.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCipheriv, createHash } from 'node:crypto';
import { ECPairFactory } from 'ecpair';
import * as ecc from '@bitcoinerlab/secp256k1';
import {
  bsmsEncryptionKey, bsmsToWalletConfig, decryptBsmsFile, encryptBsmsFile, legacyMessageHash, parseBsmsDescriptorRecord, parseBsmsKeyRecord, toBsms, verifyBsmsKeyRecord,
} from '../../src/core/vault/formats/bsms.ts';
import { DomainError } from '../../src/core/errors.ts';
import type { ErrorCode } from '../../src/core/errors.ts';

const ECPair = ECPairFactory(ecc);

interface Party { party: string; fields: Record<string, unknown>; files?: Record<string, string> }
interface Mode { mode: string; rounds: { round: number; parties: Party[] }[] }
const vectors = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'vectors', 'bip129.json'), 'utf8')) as { modes: Mode[] };

const keyRecords: { mode: string; party: Party; text: string }[] = [];
const descriptorRecords: { mode: string; text: string; keys: string[] }[] = [];
for (const m of vectors.modes) {
  const keysOfMode: string[] = [];
  for (const r of m.rounds) {
    for (const p of r.parties) {
      for (const [name, text] of Object.entries(p.files ?? {})) {
        if (name.endsWith('_key.bsms')) { keyRecords.push({ mode: m.mode, party: p, text }); keysOfMode.push(text); }
        if (name === 'my_multisig_wallet.bsms') descriptorRecords.push({ mode: m.mode, text, keys: keysOfMode });
      }
    }
  }
}

const isCode = (code: ErrorCode) => (e: unknown): boolean => e instanceof DomainError && e.code === code;

test('the vectors hold 9 key records and 4 descriptor records', () => {
  assert.equal(keyRecords.length, 9);
  assert.equal(descriptorRecords.length, 4);
});

for (const { mode, party, text } of keyRecords) {
  test(`${mode} / ${party.party}: the key record's signature verifies for its key and token`, () => {
    const rec = parseBsmsKeyRecord(text);
    assert.equal(verifyBsmsKeyRecord(rec), true);
    assert.equal(verifyBsmsKeyRecord(rec, { token: rec.token }), true);
    assert.equal(rec.fingerprint, String(party.fields['MASTER_KEY_FINGERPRINT']));
  });

  test(`${mode} / ${party.party}: signing our message digest with the vector's private key reproduces the signature`, () => {
    const rec = parseBsmsKeyRecord(text);
    const wif = Object.entries(party.fields).find(([k]) => k.startsWith('PRIVATE_KEY'))?.[1];
    assert.equal(typeof wif, 'string');
    const priv = ECPair.fromWIF(String(wif)).privateKey;
    assert.ok(priv);
    const { signature, recoveryId } = ecc.signRecoverable(legacyMessageHash(rec.signedText), priv);
    const ours = Buffer.concat([Buffer.from([31 + recoveryId]), Buffer.from(signature)]).toString('base64');
    assert.equal(ours, rec.signature);
  });
}

test('a key record with an edited description, another token or another signer\'s signature does not verify', () => {
  const [a, b] = keyRecords;
  assert.ok(a && b);
  const rec = parseBsmsKeyRecord(a.text);
  assert.equal(verifyBsmsKeyRecord(parseBsmsKeyRecord(a.text.replace('Signer 1 key', 'Signer 9 key'))), false);
  assert.equal(verifyBsmsKeyRecord(rec, { token: 'ff' }), false);
  const other = parseBsmsKeyRecord(b.text);
  assert.equal(verifyBsmsKeyRecord({ ...rec, signature: other.signature }), false);
  assert.equal(verifyBsmsKeyRecord({ ...rec, signature: 'not base64!' }), false);
});

for (const { mode, text } of descriptorRecords) {
  test(`${mode}: the descriptor record's first address is what its descriptor derives`, () => {
    const rec = parseBsmsDescriptorRecord(text);
    assert.equal(rec.firstAddress, text.split('\n')[3]);
    assert.equal(rec.network, 'main');
  });

  test(`${mode}: a record whose first address was changed is refused`, () => {
    const lines = text.split('\n');
    const other = descriptorRecords.find((d) => d.text !== text)?.text.split('\n')[3] ?? '';
    const sameFamily = other.startsWith('bc1') === (lines[3] ?? '').startsWith('bc1') ? other : 'bc1qrgc6p3kylfztu06ysl752gwwuekhvtfh9vr7zg43jvu60mutamcsv948ej';
    const tampered = [lines[0], lines[1], lines[2], sameFamily].join('\n');
    assert.throws(() => parseBsmsDescriptorRecord(tampered), isCode('INVALID_IMPORT'));
  });
}

test('a mainnet record is refused for a testnet vault', () => {
  const rec = descriptorRecords[1];
  assert.ok(rec);
  assert.throws(() => parseBsmsDescriptorRecord(rec.text, 'test'), isCode('NETWORK_MISMATCH'));
});

test('the NO_ENCRYPTION and STANDARD wallets import with the keys their signers sent in round 1', () => {
  for (const d of descriptorRecords.filter((r) => r.mode === 'NO_ENCRYPTION' || r.mode === 'STANDARD Encryption')) {
    const cfg = bsmsToWalletConfig(d.text, { name: 'w' });
    assert.equal(cfg.scriptType, 'p2wsh');
    assert.equal(cfg.threshold, 2);
    const fromRound1 = d.keys.map((k) => parseBsmsKeyRecord(k)).map((r) => [r.fingerprint, `m/${r.path}`, r.key]);
    assert.deepEqual(cfg.keys.map((k) => [k.fingerprint, k.path, k.xpub]), fromRound1);
  }
});

test('exporting an imported BSMS wallet gives back the BIP\'s record byte for byte', () => {
  for (const d of descriptorRecords.filter((r) => r.mode === 'NO_ENCRYPTION' || r.mode === 'STANDARD Encryption')) {
    assert.equal(toBsms(bsmsToWalletConfig(d.text)), d.text);
  }
});

test('records the vault model cannot hold are refused with the reason: single keys, unsorted multi()', () => {
  const single = descriptorRecords.find((r) => r.mode === 'NO_ENCRYPTION with Public Keys');
  const unsorted = descriptorRecords.find((r) => r.mode === 'EXTENDED Encryption');
  assert.ok(single && unsorted);
  assert.throws(() => bsmsToWalletConfig(single.text), isCode('INVALID_IMPORT'));
  assert.throws(() => bsmsToWalletConfig(unsorted.text), isCode('INVALID_IMPORT'));
});

test('malformed records are refused: wrong header, wrong line count, bad restrictions, bad checksum', () => {
  const good = descriptorRecords[1]?.text ?? '';
  const lines = good.split('\n');
  assert.throws(() => parseBsmsDescriptorRecord(good.replace('BSMS 1.0', 'BSMS 2.0')), isCode('INVALID_IMPORT'));
  assert.throws(() => parseBsmsDescriptorRecord(lines.slice(0, 3).join('\n')), isCode('INVALID_IMPORT'));
  assert.throws(() => parseBsmsDescriptorRecord([lines[0], lines[1], '/0/*;/1/*', lines[3]].join('\n')), isCode('INVALID_IMPORT'));
  const withChecksum = descriptorRecords[0]?.text ?? '';
  assert.throws(() => parseBsmsDescriptorRecord(withChecksum.replace(/#\w{8}/, '#qqqqqqqq')), isCode('INVALID_DESCRIPTOR'));
  assert.throws(() => parseBsmsKeyRecord('BSMS 1.0\n00\nnot-a-key\nx\nsig'), isCode('INVALID_IMPORT'));
});

// ---- encryption (STANDARD and EXTENDED modes) ------------------------------------------------

const aes = (key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array => {
  const c = createCipheriv('aes-256-ctr', key, iv);
  return new Uint8Array(Buffer.concat([c.update(data), c.final()]));
};

/** Every encrypted file of the vectors with the token that opens it and the record it holds. */
function encryptedFiles(): { label: string; token: string; dat: string; plain: string; fields: Record<string, unknown>; tokenKey?: string }[] {
  const out: ReturnType<typeof encryptedFiles> = [];
  for (const m of vectors.modes) {
    const coordinator = m.rounds[0]?.parties.find((p) => p.party === 'Coordinator')?.fields ?? {};
    const all = m.rounds.flatMap((r) => r.parties);
    for (const p of all) {
      for (const [name, dat] of Object.entries(p.files ?? {})) {
        if (!name.endsWith('.dat')) continue;
        const signer = /signer_(\d)/.exec(name)?.[1];
        const tokenKey = m.mode.startsWith('EXTENDED') ? `TOKEN for Signer ${signer ?? '?'} (hex)` : 'TOKEN (hex)';
        const plainName = name.replace(/_for_signer_\d/, '').replace('.dat', '.bsms');
        const plain = all.map((q) => q.files?.[plainName]).find((f) => f !== undefined) ?? '';
        const details = coordinator[`${tokenKey} (details)`] as Record<string, unknown> | undefined;
        out.push({ label: `${m.mode} ${name}`, token: String(coordinator[tokenKey]), dat, plain, fields: { ...p.fields, ...(details ?? {}), ...coordinator }, tokenKey });
      }
    }
  }
  return out;
}

test('the vectors hold 9 encrypted files, each paired with its token and plaintext record', () => {
  const files = encryptedFiles();
  assert.equal(files.length, 9);
  for (const f of files) {
    assert.match(f.token, /^[0-9a-f]{16,32}$/, f.label);
    assert.ok(f.plain.startsWith('BSMS 1.0'), f.label);
  }
});

for (const f of encryptedFiles()) {
  test(`${f.label}: decrypts to its record; our encryption reproduces the file; the keys match the BIP`, () => {
    assert.equal(decryptBsmsFile(f.dat, f.token, aes), f.plain);
    assert.equal(encryptBsmsFile(f.plain, f.token, aes), f.dat);
    const key = Buffer.from(bsmsEncryptionKey(f.token)).toString('hex');
    const expectedKey = f.fields['ENCRYPTION_KEY (hex)'];
    assert.equal(typeof expectedKey, 'string', 'the BIP gives ENCRYPTION_KEY for every token');
    assert.equal(key, expectedKey);
    const hmacKey = createHash('sha256').update(Buffer.from(key, 'hex')).digest('hex');
    assert.equal(hmacKey, f.fields['HMAC_KEY (hex)']);
  });
}

test('an encrypted file is refused with the wrong token or after a flipped bit', () => {
  const [f, g] = encryptedFiles().filter((x) => x.label.startsWith('EXTENDED'));
  assert.ok(f && g);
  assert.throws(() => decryptBsmsFile(f.dat, g.token, aes), isCode('INVALID_IMPORT'));
  const flipped = f.dat.slice(0, 100) + (f.dat[100] === '0' ? '1' : '0') + f.dat.slice(101);
  assert.throws(() => decryptBsmsFile(flipped, f.token, aes), isCode('INVALID_IMPORT'));
  assert.throws(() => decryptBsmsFile('zz', f.token, aes), isCode('INVALID_IMPORT'));
  assert.throws(() => bsmsEncryptionKey('00'), isCode('INVALID_ARGUMENT'));
});
