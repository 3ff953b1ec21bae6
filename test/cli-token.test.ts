// `soberana token …` (the CLI's compiled main(), in-process) and `soberana serve` (the real
// binary, a process of its own): a token is printed once, only its hash is stored, it opens the
// API with its role, and revocation shuts it out.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { cliInProcess } from './helpers/cli.ts';

const runCli = cliInProcess();
const dir = mkdtempSync(join(tmpdir(), 'soberana-token-'));
const db = join(dir, 'tokens.db');
after(() => rmSync(dir, { recursive: true, force: true }));

interface TokenJson { id: string; name: string; role: string; createdAt: string; revokedAt: string | null; token?: string }

function startServe(): Promise<{ url: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [join(import.meta.dirname, '..', 'bin', 'soberana.js'), 'serve', '--port', '0', '--no-dashboard', '--json', '--db', db], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${out}`)), 30_000);
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /"api": "([^"]+)"/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve({
          url: m[1],
          stop: () => new Promise((r) => { child.once('exit', () => r()); child.kill('SIGTERM'); }),
        });
      }
    });
    child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${out}`)));
  });
}

test('token create prints the secret once; list and the database never show it', async () => {
  const r = await runCli(['token', 'create', '--role', 'auditor', '--name', 'IMF mission', '--json', '--db', db]);
  assert.equal(r.code, 0, r.stderr);
  const t = JSON.parse(r.stdout) as TokenJson;
  assert.equal(t.role, 'auditor');
  assert.match(t.token ?? '', /^sob_[A-Za-z0-9_-]{43}$/);
  const human = await runCli(['token', 'create', '--role', 'operator', '--name', 'Treasury desk', '--db', db]);
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, /sob_[A-Za-z0-9_-]{43}/);
  assert.match(human.stdout, /shown only this once/);

  const list = await runCli(['token', 'list', '--json', '--db', db]);
  assert.equal(list.code, 0, list.stderr);
  const tokens = JSON.parse(list.stdout) as TokenJson[];
  assert.deepEqual(tokens.map((x) => x.name).sort(), ['IMF mission', 'Treasury desk']);
  assert.ok(!list.stdout.includes('sob_'), 'list never prints a secret');

  const sqlite = new BetterSqlite3(db, { readonly: true });
  const dump = JSON.stringify(sqlite.prepare('select * from api_tokens').all());
  sqlite.close();
  assert.ok(!dump.includes(t.token ?? '-'), 'the database holds no secret');
});

test('bad input has the documented exit codes', async () => {
  const badRole = await runCli(['token', 'create', '--role', 'king', '--name', 'x', '--json', '--db', db]);
  assert.equal(badRole.code, 3);
  assert.equal((JSON.parse(badRole.stderr) as { error: { code: string } }).error.code, 'INVALID_ARGUMENT');
  const missing = await runCli(['token', 'revoke', 'tok_000000000000', '--json', '--db', db]);
  assert.equal(missing.code, 4);
  const noName = await runCli(['token', 'create', '--role', 'admin', '--db', db]);
  assert.equal(noName.code, 2);
});

test('serve accepts the token with its role; after revoke the same token gets 401', async () => {
  const created = await runCli(['token', 'create', '--role', 'approver', '--name', 'Central Reserve Bank', '--json', '--db', db]);
  const t = JSON.parse(created.stdout) as TokenJson;
  const server = await startServe();
  try {
    const auth = { authorization: `Bearer ${t.token ?? ''}` };
    const ok = await fetch(`${server.url}session`, { headers: auth });
    assert.equal(ok.status, 200);
    assert.equal(((await ok.json()) as { role: string }).role, 'approver');
    const forbidden = await fetch(`${server.url}tokens`, { headers: auth });
    assert.equal(forbidden.status, 403);
    const pub = await fetch(`${server.url}public/summary`);
    assert.equal(pub.status, 200);

    const rev = await runCli(['token', 'revoke', t.id, '--json', '--db', db]);
    assert.equal(rev.code, 0, rev.stderr);
    assert.notEqual((JSON.parse(rev.stdout) as TokenJson).revokedAt, null);
    const after = await fetch(`${server.url}session`, { headers: auth });
    assert.equal(after.status, 401);
    assert.equal(((await after.json()) as { error: { code: string } }).error.code, 'UNAUTHENTICATED');
    const again = await runCli(['token', 'revoke', t.id, '--json', '--db', db]);
    assert.equal(again.code, 5);
  } finally {
    await server.stop();
  }
});
