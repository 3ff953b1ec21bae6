// The `soberana descriptor` CLI contract, through its compiled main(): info and derive with --json,
// human output, --change, --network (own option and global fallback), --no-checksum, and errors
// as one stderr line / {error:{code,message}} with the mapped exit code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Output } from '@bitcoinerlab/descriptors';
import { bytesToHex } from '@noble/hashes/utils.js';
import { networks } from 'bitcoinjs-lib';
import { cliInProcess } from './helpers/cli.ts';
import { descriptorChecksum } from '../src/core/bitcoin/descriptor.ts';
import { EXIT_CODE_BY_ERROR } from '../src/cli/exit-codes.ts';

/** The CLI's main(), run in-process (see cliInProcess): this file tests what the commands do, not the process. */
const runCli = cliInProcess();

const X1 = 'xpub6ERApfZwUNrhLCkDtcHTcxd75RbzS1ed54G1LkBUHQVHQKqhMkhgbmJbZRkrgZw4koxb5JaHWkY4ALHY2grBGRjaDMzQLcgJvLJuZZvRcEL';
const X2 = 'xpub68NZiKmJWnxxS6aaHmn81bvJeTESw724CRDs6HbuccFQN9Ku14VQrADWgqbhhTHBaohPX4CjNLf9fq9MYo6oDaPPLPxSb7gwQN3ih19Zm4Y';
const X3 = 'xpub661MyMwAqRbcFW31YEwpkMuc5THy2PSt5bDMsktWQcFF8syAmRUapSCGu8ED9W6oDMSgv6Zz8idoc4a6mr8BDzTJY47LJhkJ8UB7WEGuduB';
const T1 = 'tpubDFmMwTXpkvHSSZdwNYkf8rmq4WBLrn4sgpijxznXLY7NgUtWapXZj8UE4ciG4G5m57X1n4qaFmTi2M7W2ZbrdFL9o2qArr6fBGsbkUSB2JC';
const T2 = 'tpubDEPbFA3jaN62veY6m2mFDSpKcHcGBzd2mW8nhMJDZUSzcq5tZYeK3pzebKd3yuEEQELcMidfCjx7vUcDSnEha3TtFx6P926ZqgxuQLQt9CN';
const T3 = 'tpubDE9yHu4U5JUifgdVakerLrYz9wavQRbNqhvHW1SNhqJULbgesujbzigDmDVBGgNs9BjCnxQvet2aue18rBTi5M3ZGWKevGyBEAGnPo33RM4';
const body = `wsh(sortedmulti(2,[deadbeef/48h/0h/0h/2h]${X1}/<0;1>/*,[0badf00d/48h/0h/0h/2h]${X2}/<0;1>/*,${X3}/<0;1>/*))`;
const vault = `${body}#${descriptorChecksum(body)}`;
const tbody = `wsh(sortedmulti(2,${T1}/<0;1>/*,${T2}/<0;1>/*,${T3}/<0;1>/*))`;
const tvault = `${tbody}#${descriptorChecksum(tbody)}`;
const env = { SOBERANA_NETWORK: undefined, SOBERANA_CONFIG: undefined };

function libraryAddress(text: string, change: number, index: number, network = networks.bitcoin): string {
  return new Output({ descriptor: text, checksumRequired: false, change, index, network }).getAddress();
}

test('descriptor info --json gives the contract fields', async () => {
  const r = await runCli(['descriptor', 'info', vault, '--json'], { env });
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as Record<string, unknown>;
  assert.deepEqual(Object.keys(j).sort(), ['checksum', 'descriptor', 'keys', 'multipath', 'ranged', 'threshold', 'type']);
  assert.equal(j.descriptor, vault);
  assert.equal(j.checksum, descriptorChecksum(body));
  assert.equal(j.type, 'wsh-sortedmulti');
  assert.equal(j.threshold, 2);
  assert.equal(j.ranged, true);
  assert.equal(j.multipath, true);
  assert.deepEqual(j.keys, [
    { fingerprint: 'deadbeef', path: "m/48'/0'/0'/2'", xpub: X1 },
    { fingerprint: '0badf00d', path: "m/48'/0'/0'/2'", xpub: X2 },
    { fingerprint: null, path: null, xpub: X3 },
  ]);
});

test('descriptor info: threshold is null when not multisig; human output is readable', async () => {
  const wpkh = `wpkh(${X1}/0/*)`;
  const r = await runCli(['descriptor', 'info', wpkh, '--no-checksum', '--json'], { env });
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { threshold: unknown; descriptor: string; multipath: boolean };
  assert.equal(j.threshold, null);
  assert.equal(j.multipath, false);
  assert.equal(j.descriptor, `${wpkh}#${descriptorChecksum(wpkh)}`, '--no-checksum shows the checksum to add');
  const h = await runCli(['descriptor', 'info', vault], { env });
  assert.equal(h.code, 0);
  assert.match(h.stdout, /type:\s+wsh-sortedmulti \(2-of-3\)/);
  assert.match(h.stdout, /\[deadbeef\/48'\/0'\/0'\/2'\] xpub6ERA/);
});

test('descriptor derive --json: receive and --change branches match @bitcoinerlab/descriptors', async () => {
  const r = await runCli(['descriptor', 'derive', vault, '--network', 'main', '--start', '5', '--count', '3', '--json'], { env });
  assert.equal(r.code, 0, r.stderr);
  const rows = JSON.parse(r.stdout) as { index: number; address: string; scriptPubKey: string }[];
  assert.deepEqual(rows.map((x) => x.index), [5, 6, 7]);
  rows.forEach((x) => {
    assert.deepEqual(Object.keys(x).sort(), ['address', 'index', 'scriptPubKey']);
    assert.equal(x.address, libraryAddress(body, 0, x.index));
    assert.equal(x.scriptPubKey, bytesToHex(new Output({ descriptor: body, checksumRequired: false, change: 0, index: x.index }).getScriptPubKey()));
  });
  const c = await runCli(['descriptor', 'derive', vault, '--network', 'main', '--count', '2', '--change', '--json'], { env });
  assert.equal(c.code, 0, c.stderr);
  const change = JSON.parse(c.stdout) as { index: number; address: string }[];
  assert.deepEqual(change.map((x) => x.address), [libraryAddress(body, 1, 0), libraryAddress(body, 1, 1)]);
});

test('descriptor derive on regtest and signet (own --network, and the global one as fallback)', async () => {
  const r = await runCli(['descriptor', 'derive', tvault, '--network', 'regtest', '--count', '2', '--json'], { env });
  assert.equal(r.code, 0, r.stderr);
  const rows = JSON.parse(r.stdout) as { address: string }[];
  assert.deepEqual(rows.map((x) => x.address), [libraryAddress(tbody, 0, 0, networks.regtest), libraryAddress(tbody, 0, 1, networks.regtest)]);
  assert.match(rows[0]?.address ?? '', /^bcrt1q/);
  const g = await runCli(['--network', 'signet', 'descriptor', 'derive', tvault, '--count', '1', '--json'], { env });
  assert.equal(g.code, 0, g.stderr);
  assert.match((JSON.parse(g.stdout) as { address: string }[])[0]?.address ?? '', /^tb1q/);
});

test('descriptor derive human output is a table', async () => {
  const r = await runCli(['descriptor', 'derive', vault, '--network', 'main', '--count', '2'], { env });
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 3);
  assert.match(lines[0] ?? '', /index\s+address\s+scriptPubKey/);
  assert.match(lines[1] ?? '', /^\s+0\s+bc1q\w+\s+0020[0-9a-f]{64}$/);
});

test('NETWORK_MISMATCH: a tpub descriptor on main, an xpub one on test or regtest', async () => {
  for (const [d, n] of [[tvault, 'main'], [vault, 'test'], [vault, 'regtest']] as const) {
    const r = await runCli(['descriptor', 'derive', d, '--network', n, '--count', '1', '--json'], { env });
    assert.equal(r.code, EXIT_CODE_BY_ERROR.NETWORK_MISMATCH);
    assert.equal(r.stdout, '');
    const e = JSON.parse(r.stderr) as { error: { code: string; message: string } };
    assert.equal(e.error.code, 'NETWORK_MISMATCH');
  }
});

test('errors: wrong checksum, missing checksum, duplicate key, bad --count: one stderr line, non-zero exit', async () => {
  const wrong = `${body}#${descriptorChecksum(body.replace('<0;1>/*,[0bad', '<0;1>/*,[0bae'))}`;
  const cases: [string[], string, RegExp][] = [
    [['descriptor', 'info', wrong], 'INVALID_DESCRIPTOR', /checksum/],
    [['descriptor', 'info', body], 'INVALID_DESCRIPTOR', /no checksum/],
    [['descriptor', 'info', `wsh(sortedmulti(2,${X1}/0/*,${X2}/0/*,${X1}/1/*))`, '--no-checksum'], 'INVALID_DESCRIPTOR', /same key/],
    [['descriptor', 'derive', vault, '--network', 'main', '--count', '10001'], 'INVALID_ARGUMENT', /10000/],
    [['descriptor', 'derive', vault, '--network', 'main', '--count', 'ten'], 'INVALID_ARGUMENT', /whole number/],
  ];
  for (const [args, code, pattern] of cases) {
    const h = await runCli(args, { env });
    assert.equal(h.code, EXIT_CODE_BY_ERROR[code as 'INVALID_DESCRIPTOR'], `${args.join(' ')}: ${h.stderr}`);
    assert.equal(h.stderr.trim().split('\n').length, 1);
    assert.match(h.stderr, /^error: /);
    assert.match(h.stderr, pattern);
    const j = await runCli([...args, '--json'], { env });
    assert.deepEqual(Object.keys((JSON.parse(j.stderr) as { error: object }).error).sort(), ['code', 'message']);
    assert.equal((JSON.parse(j.stderr) as { error: { code: string } }).error.code, code);
  }
});
