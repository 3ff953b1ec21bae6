// `soberana token enrol-code` / `token enrol` through the real binary (SQLite): on a fresh database
// the first admin gets their own token by enrolment; `token create --member` no longer binds a token
// to anyone; a code works once, not after it expired or was revoked, not when wrong — one clear line
// and the documented exit code each time, and no token; redeemed over `soberana serve` too. The codes
// never appear in the database file, in the audit log or in the server's logs (at trace level).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { runCli, type CliResult } from './helpers/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'soberana-enrol-'));
const db = join(dir, 'enrol.db');
after(() => rmSync(dir, { recursive: true, force: true }));

const codes: string[] = [];
const cli = (...args: string[]) => runCli([...args, '--db', db]);
const json = <T>(r: CliResult): T => JSON.parse(r.stdout) as T;

async function enrolCode(member: string, role: string, ...extra: string[]): Promise<{ id: string; code: string; memberId: string; role: string }> {
  const r = await cli('token', 'enrol-code', '--member', member, '--role', role, '--as', 'ana', '--json', ...extra);
  assert.equal(r.code, 0, r.stderr);
  const e = json<{ id: string; code: string; memberId: string; role: string }>(r);
  codes.push(e.code);
  return e;
}

/** One plain line on stderr, no stack trace. */
function oneLine(r: CliResult, pattern: RegExp): void {
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0] ?? '', pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
}

function tokenCount(): number {
  const sqlite = new BetterSqlite3(db, { readonly: true });
  try {
    return (sqlite.prepare('select count(*) as n from api_tokens').get() as { n: number | bigint }).n as number;
  } finally {
    sqlite.close();
  }
}

test('on a fresh database the first admin enrols; token create --member is refused and points to enrolment', async () => {
  assert.equal((await cli('member', 'add', '--name', 'ana', '--role', 'admin')).code, 0);
  assert.equal((await cli('member', 'add', '--as', 'ana', '--name', 'maria', '--role', 'approver', '--group', 'finance')).code, 0);

  const direct = await cli('token', 'create', '--role', 'approver', '--name', 'maria', '--member', 'maria');
  assert.equal(direct.code, 7, direct.stderr);
  oneLine(direct, /only through their own enrolment.*token enrol-code --member maria --role approver/);
  assert.equal(tokenCount(), 0, 'no token made');

  const human = await cli('token', 'enrol-code', '--member', 'ana', '--role', 'admin');
  assert.equal(human.code, 0, human.stderr);
  const code = /soe_[a-z2-7]{32}/.exec(human.stdout)?.[0] ?? '';
  codes.push(code);
  assert.match(human.stdout, /shown only this once and works once/);
  const r = await new Promise<CliResult>((resolve) => {
    // the code on standard input ("-"), so it stays out of the shell history
    const child = spawn(process.execPath, [join(import.meta.dirname, '..', 'bin', 'soberana.js'), 'token', 'enrol', '-', '--name', 'ana desk', '--json', '--db', db], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('exit', (c) => resolve({ code: c ?? 1, stdout, stderr }));
    child.stdin.end(`${code}\n`);
  });
  assert.equal(r.code, 0, r.stderr);
  const t = json<{ id: string; memberId: string; role: string; token: string }>(r);
  assert.deepEqual([t.memberId, t.role], ['ana', 'admin']);
  assert.match(t.token, /^sob_/);
  const list = await cli('token', 'list');
  assert.match(list.stdout, new RegExp(`${t.id}.*ana desk.*member ana`));
});

test('a code works once; a used, revoked, expired or wrong code is one clear line, its exit code, and no token', async () => {
  const e = await enrolCode('maria', 'approver', '--expires', '2h');
  const ok = await cli('token', 'enrol', e.code, '--name', 'maria laptop', '--json');
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(json<{ memberId: string }>(ok).memberId, 'maria');
  const n = tokenCount();

  const used = await cli('token', 'enrol', e.code, '--name', 'again');
  assert.equal(used.code, 5);
  oneLine(used, /already used/);

  const revoked = await enrolCode('maria', 'approver');
  const rv = await cli('token', 'enrol-revoke', revoked.id, '--as', 'ana');
  assert.equal(rv.code, 0, rv.stderr);
  const afterRevoke = await cli('token', 'enrol', revoked.code, '--name', 'x');
  assert.equal(afterRevoke.code, 5);
  oneLine(afterRevoke, /revoked/);
  assert.equal((await cli('token', 'enrol-revoke', revoked.id)).code, 5, 'revoked once');

  const expired = await enrolCode('maria', 'approver', '--expires', '1m');
  const sqlite = new BetterSqlite3(db);
  sqlite.prepare('update token_enrolments set expires_at_ms = ? where id = ?').run(BigInt(Date.now() - 1), expired.id); // its minute has passed
  sqlite.close();
  const late = await cli('token', 'enrol', expired.code, '--name', 'x');
  assert.equal(late.code, 5);
  oneLine(late, /expired at/);

  const wrong = await cli('token', 'enrol', 'soe_' + 'z'.repeat(32), '--name', 'x', '--json');
  assert.equal(wrong.code, 7);
  assert.equal(json<{ error: { code: string } }>({ ...wrong, stdout: wrong.stderr }).error.code, 'UNAUTHENTICATED');
  assert.equal(tokenCount(), n, 'none of them made a token');

  const badRole = await cli('token', 'enrol-code', '--member', 'maria', '--role', 'admin');
  assert.equal(badRole.code, 7);
  oneLine(badRole, /does not hold the role admin/);
  const badTime = await cli('token', 'enrol-code', '--member', 'maria', '--role', 'approver', '--expires', '90d');
  assert.equal(badTime.code, 3);
  oneLine(badTime, /1 minute to 30 days/);

  const states = json<Array<{ id: string; state: string }>>(await cli('token', 'enrolments', '--json'));
  assert.deepEqual([e.id, revoked.id, expired.id].map((id) => states.find((s) => s.id === id)?.state), ['redeemed', 'revoked', 'expired']);
  const audit = await cli('audit', 'verify');
  assert.equal(audit.code, 0, audit.stderr);
});

test('redeemed over serve: a token bound to the member; the codes are in no log, no database file and no audit entry', async () => {
  const e = await enrolCode('maria', 'approver');
  const child = spawn(process.execPath, [join(import.meta.dirname, '..', 'bin', 'soberana.js'), 'serve', '--port', '0', '--no-dashboard', '--json', '--db', db], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SOBERANA_LOG_LEVEL: 'trace' },
  });
  let logs = '';
  child.stderr.on('data', (b: Buffer) => (logs += b.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${logs}`)), 30_000);
    child.stdout.on('data', (b: Buffer) => {
      logs += b.toString();
      const m = /"api": "([^"]+)"/.exec(logs);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (c) => reject(new Error(`serve exited ${c}: ${logs}`)));
  });
  try {
    const post = (body: object) => fetch(`${url}enrol`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const ok = await post({ code: e.code, name: 'maria phone' });
    assert.equal(ok.status, 201);
    const t = (await ok.json()) as { memberId: string; token: string };
    assert.equal(t.memberId, 'maria');
    const members = await fetch(`${url}members`, { headers: { authorization: `Bearer ${t.token}` } });
    assert.equal(((await members.json()) as { you: { id: string } }).you.id, 'maria');
    const again = await post({ code: e.code, name: 'maria phone 2' });
    assert.equal(again.status, 409);
    const body = await again.text();
    assert.ok(!body.includes(e.code.slice(4)));
  } finally {
    await new Promise<void>((r) => {
      child.once('exit', () => r());
      child.kill('SIGTERM');
    });
  }
  assert.match(logs, /incoming request|"url"/, 'the server did log at trace level');
  const files = readdirSync(dir).filter((f) => f.startsWith('enrol.db')).map((f) => readFileSync(join(dir, f)).toString('latin1')).join('\n');
  assert.ok(files.includes('maria phone'), 'the database files hold what is stored in clear');
  const auditLog = (await cli('audit', 'verify', '--json')).stdout + JSON.stringify(new BetterSqlite3(db, { readonly: true }).prepare('select * from audit_log').all(), (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
  assert.ok(auditLog.includes('token.enrolment.redeem'));
  assert.ok(codes.length >= 5);
  for (const code of codes) {
    const secret = code.slice(4);
    assert.ok(!logs.includes(secret), `code ${code.slice(0, 6)}… not in the server's logs`);
    assert.ok(!files.includes(secret), `code ${code.slice(0, 6)}… not in the database files`);
    assert.ok(!auditLog.includes(secret), `code ${code.slice(0, 6)}… not in the audit log`);
  }
});
