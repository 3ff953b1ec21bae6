// `soberana compliance …` and the alert `soberana sync` raises (issue #15), through the CLI against
// the embedded node's RPC (SQLite): a watch-only list of published addresses registered as a public
// wallet; a purchase from outside breaches the 2025 commitment and the next sync prints ONE
// `ALERT:` line on stderr and lists it in --json; a second sync does not repeat it; an override
// (with a reason) reclassifies it as a seizure and the next sync reports the alert resolved. Every
// mistake is one line with its exit code; `compliance check` exits 6 (COMMITMENT_BREACH) while one is breached. `compliance statement --quarter 2025Q3 --json` (plus CSV
// and PDF) reconciles with the wallet's balance and records its hash in the audit log.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliInProcess } from '../helpers/cli.ts';
import { useRegtestNode } from '../helpers/regtest.ts';
import { EXIT } from '../../src/cli/exit-codes.ts';

const runCli = cliInProcess();
const regtest = useRegtestNode();
const dir = mkdtempSync(join(tmpdir(), 'soberana-compliance-cli-'));
const PUBLISHED = 'miB6ARJk6MhME5DduTdjAaeXYPLcADWZYD';

test('register, commitment, an alert after sync (once), override, resolved after the next sync', async () => {
  const node = regtest.node();
  await node.mine(101);
  const db = join(dir, 'c.db');
  const env = { SOBERANA_NETWORK: 'regtest', SOBERANA_RPC_URL: node.rpcUrl, SOBERANA_RPC_USER: node.rpcUser, SOBERANA_RPC_PASSWORD: node.rpcPassword, SOBERANA_ACTOR: 'rosa' };
  const cli = (...args: string[]) => runCli(['--db', db, ...args], { env });
  const addresses = join(dir, 'published.txt');
  writeFileSync(addresses, `# published by the government\n${PUBLISHED}\n`);
  assert.equal((await cli('vault', 'add', '--name', 'El Salvador (published)', '--addresses', addresses, '--birthday', String(node.height()))).code, 0);

  const missing = await cli('compliance', 'register', 'add', '--vault', 'El Salvador (published)', '--owner', 'Central Reserve Bank');
  assert.equal(missing.code, EXIT.INVALID_INPUT);
  assert.equal(missing.stderr.trim().split('\n').length, 1, missing.stderr);
  assert.match(missing.stderr, /a new register entry needs --legal-basis, --purpose, --joined/);
  assert.equal((await cli('compliance', 'register', 'add', '--vault', 'nowhere', '--owner', 'x')).code, EXIT.NOT_FOUND);
  const add = await cli('compliance', 'register', 'add', '--vault', 'El Salvador (published)', '--owner', 'Central Reserve Bank', '--legal-basis', 'Bitcoin Law (2021)', '--purpose', 'national reserve', '--joined', '2021-09-07');
  assert.equal(add.code, 0, add.stderr);
  assert.match(add.stdout, /registered as a public wallet \(watch-only\)/);
  assert.equal((await cli('compliance', 'register', 'add', '--vault', 'El Salvador (published)', '--purpose', 'national reserve and sales desk')).code, 0);
  const show = JSON.parse((await cli('--json', 'compliance', 'register', 'show', 'El Salvador (published)')).stdout) as { versions: Array<{ version: number; purpose: string }> };
  assert.deepEqual(show.versions.map((v) => [v.version, v.purpose]), [[1, 'national reserve'], [2, 'national reserve and sales desk']]);
  const list = JSON.parse((await cli('--json', 'compliance', 'register', 'list')).stdout) as { register: Array<{ watchOnly: boolean; entry: { version: number } }> };
  assert.deepEqual(list.register.map((r) => [r.watchOnly, r.entry.version]), [[true, 2]]);

  const file = join(dir, 'imf-2025.json');
  writeFileSync(file, JSON.stringify({ id: 'imf-2025-no-accumulation', version: 1, title: 'No voluntary accumulation', effectiveFrom: '2025-02-26', rule: { kind: 'no-increase' } }));
  assert.equal((await cli('compliance', 'commitment', 'add', file)).code, 0);
  const twice = await cli('compliance', 'commitment', 'add', file);
  assert.equal(twice.code, EXIT.CONFLICT);
  assert.match(twice.stderr, /already recorded: give the new text version 2/);

  const purchase = await node.fund(PUBLISHED, 21_000_000n);
  await node.mineBlockAt(Math.floor(Date.UTC(2025, 8, 7, 15) / 1000)); // 2025-09-07, under the commitment (the node's own blocks are dated 2012)
  const s1 = await cli('--json', 'sync');
  assert.equal(s1.code, 0, s1.stderr);
  const alertLines = s1.stderr.split('\n').filter((l) => l.startsWith('ALERT: '));
  assert.equal(alertLines.length, 1, s1.stderr + s1.stdout);
  assert.match(alertLines[0] ?? '', new RegExp(`^ALERT: commitment breach: commitment 'imf-2025-no-accumulation' version 1 .*transaction ${purchase}`));
  const j1 = JSON.parse(s1.stdout) as { alerts: string[]; compliance: { raised: Array<{ txid: string }>; open: unknown[] } };
  assert.deepEqual(j1.compliance.raised.map((a) => a.txid), [purchase]);
  assert.equal(j1.alerts.length, 1);
  const s2 = await cli('--json', 'sync');
  assert.equal(s2.stderr.includes('ALERT:'), false, 'not raised twice');
  assert.equal((JSON.parse(s2.stdout) as { compliance: { open: unknown[] } }).compliance.open.length, 1);

  const flows = JSON.parse((await cli('--json', 'compliance', 'classify')).stdout) as { flows: Array<{ txid: string; class: string; reason: string }> };
  assert.deepEqual(flows.flows.map((f) => [f.txid, f.class]), [[purchase, 'external-acquisition']]);
  // a breach: the status is still in --json, and the exit code is COMMITMENT_BREACH's (6), one line on stderr
  const breachedRun = await cli('--json', 'compliance', 'check');
  assert.equal(breachedRun.code, EXIT.REFUSED, breachedRun.stderr);
  const check = JSON.parse(breachedRun.stdout) as { statuses: Array<{ status: string }> };
  assert.deepEqual(check.statuses.map((s) => s.status), ['breached']);
  assert.equal(breachedRun.stderr.trim().split('\n').length, 1, breachedRun.stderr);
  assert.match(breachedRun.stderr, /COMMITMENT_BREACH.*'imf-2025-no-accumulation' version 1 \(1 breach\)/);
  const humanRun = await cli('compliance', 'check');
  assert.equal(humanRun.code, EXIT.REFUSED);
  assert.match(humanRun.stdout, /imf-2025-no-accumulation v1: BREACHED \(1\)/);

  const noReason = await cli('compliance', 'override', purchase, 'seizure');
  assert.equal(noReason.code, EXIT.INVALID_INPUT);
  assert.match(noReason.stderr, /an override needs a reason/);
  assert.equal((await cli('compliance', 'override', purchase, 'confiscated', '--reason', 'x y z')).code, EXIT.INVALID_INPUT);
  assert.equal((await cli('compliance', 'override', purchase, 'seizure', '--reason', 'Court order 123/2025')).code, 0);
  const s3 = await cli('sync');
  assert.match(s3.stderr, /ALERT: commitment breach resolved: .*no longer breaches/);
  const keptRun = await cli('--json', 'compliance', 'check');
  assert.equal(keptRun.code, 0, 'every commitment kept: exit 0');
  const after = JSON.parse(keptRun.stdout) as { statuses: Array<{ status: string }> };
  assert.deepEqual(after.statuses.map((s) => s.status), ['kept']);

  const pdf = join(dir, 'q3.pdf');
  const csv = join(dir, 'q3.csv');
  const st = await cli('--json', 'compliance', 'statement', '--quarter', '2025Q3', '--pdf', pdf, '--csv', csv);
  assert.equal(st.code, 0, st.stderr);
  const j = JSON.parse(st.stdout) as { sha256: string; statement: { totals: { openingSats: string; closingSats: string }; reconciliation: { reconciles: boolean }; byClass: Array<{ class: string; count: number }> } };
  const balance = JSON.parse((await cli('--json', 'balance')).stdout) as { total: { confirmed: { sats: string } } };
  assert.deepEqual(j.statement.totals, { openingSats: '0', closingSats: balance.total.confirmed.sats });
  assert.equal(j.statement.reconciliation.reconciles, true);
  assert.deepEqual(j.statement.byClass.map((c) => [c.class, c.count]), [['seizure', 1]]);
  assert.equal(readFileSync(pdf).subarray(0, 5).toString('latin1'), '%PDF-');
  assert.match(readFileSync(csv, 'utf8'), new RegExp(`${purchase},seizure,true,21000000`));
  const exported = join(dir, 'audit.jsonl');
  assert.equal((await cli('audit', 'export', '--out', exported)).code, 0);
  const entries = readFileSync(exported, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { action: string; details: { sha256?: string } });
  assert.equal(entries.find((e) => e.action === 'compliance.statement')?.details.sha256, j.sha256);
  for (const a of ['compliance.register.add', 'compliance.register.change', 'compliance.commitment.add', 'compliance.override', 'compliance.alert.raised', 'compliance.alert.resolved']) assert.ok(entries.some((e) => e.action === a), a);
  assert.equal((await cli('compliance', 'statement', '--quarter', '2025-3')).code, EXIT.INVALID_INPUT);
});
