// The governed proof round through the CLI (SQLite file, the embedded regtest node): an auditor's
// challenge, por create --challenge → approve ×3 → export-psbt (a binary .psbt for the signers) →
// two signers' files → import-psbt → finalize --publish → export → por verify of that file against
// the node exits 0 with the proven total and the nonce; list/show/challenges; a held or answered
// challenge is refused in one line with exit 5.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { base64 } from '@scure/base';
import { cliInProcess } from '../helpers/cli.ts';
import { useRegtestNode } from '../helpers/regtest.ts';
import { setupGovernance, signAs } from '../spend/fixtures.ts';
import { openDatabase } from '../../src/adapters/store/database.ts';
import { addMember } from '../../src/app/add-member.ts';

const regtest = useRegtestNode();
const runCli = cliInProcess();

test('soberana por: challenge, create, approve, export-psbt, import-psbt, finalize --publish, export, verify', async () => {
  const node = regtest.node();
  const dir = mkdtempSync(join(tmpdir(), 'soberana-por-cli-'));
  const dbPath = join(dir, 'reserve.db');
  const db = await openDatabase({ url: dbPath });
  try {
    const g = await setupGovernance(node, db, { fund: [25_000_000n, 15_000_000n] });
    await addMember(g.deps, { actor: 'ana', name: 'irene', roles: ['auditor'], groups: [] });
    await db.close();
    const env = { SOBERANA_NETWORK: 'regtest', SOBERANA_DB: dbPath, SOBERANA_RPC_URL: node.rpcUrl, SOBERANA_RPC_USER: node.rpcUser, SOBERANA_RPC_PASSWORD: node.rpcPassword, SOBERANA_ACTOR: '' };
    const cli = async (args: string[], expect = 0) => {
      const r = await runCli(args, { env, timeoutMs: 120_000 });
      assert.equal(r.code, expect, `soberana ${args.join(' ')}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
      return r;
    };

    const ch = (JSON.parse((await cli(['por', 'challenge', '--as', 'irene', '--note', 'IMF mission', '--ttl', '2d', '--json'])).stdout) as { challenge: { id: string; nonce: string } }).challenge;
    const made = JSON.parse((await cli(['por', 'create', '--as', 'luis', '--vault', g.vault.name, '--message', 'Reserves of the test republic', '--challenge', ch.id, '--json'])).stdout) as { proof: { id: number; totalSats: string; coins: number } };
    assert.equal(made.proof.totalSats, '40000000');
    assert.equal(made.proof.coins, 2);
    const id = String(made.proof.id);
    const stillHeld = await cli(['por', 'create', '--as', 'luis', '--vault', g.vault.name, '--message', 'again', '--challenge', ch.id], 5);
    assert.match(stillHeld.stderr, /CHALLENGE_USED|already being answered/);
    assert.equal(stillHeld.stderr.trim().split('\n').length, 1, 'one line');

    await cli(['por', 'export-psbt', id, '--as', 'luis', '--out', join(dir, 'proof.psbt')], 6); // not approved yet
    for (const a of ['maria', 'marta', 'pedro']) await cli(['por', 'approve', id, '--as', a]);
    await cli(['por', 'export-psbt', id, '--as', 'luis', '--out', join(dir, 'proof.psbt')]);
    const unsigned = readFileSync(join(dir, 'proof.psbt'));
    writeFileSync(join(dir, 'finance.psbt'), base64.decode(signAs(g, 0, unsigned)));
    writeFileSync(join(dir, 'central-bank.psbt'), base64.decode(signAs(g, 1, unsigned)));
    await cli(['por', 'import-psbt', id, join(dir, 'finance.psbt'), '--as', 'luis']);
    await cli(['por', 'import-psbt', id, join(dir, 'central-bank.psbt'), '--as', 'luis']);
    await cli(['por', 'finalize', id, '--as', 'luis', '--publish']);
    const file = join(dir, 'proof-of-reserves.json');
    await cli(['por', 'export', id, file]);

    const shown = JSON.parse((await cli(['por', 'show', id, '--json'])).stdout) as { proof: { state: string; publishedAtMs: number | null; challengeId: string }; approvals: unknown[] };
    assert.equal(shown.proof.state, 'finalized');
    assert.ok(shown.proof.publishedAtMs !== null);
    assert.equal(shown.proof.challengeId, ch.id);
    assert.equal(shown.approvals.length, 3);
    assert.match((await cli(['por', 'list'])).stdout, /#1 {2}finalized published block \d+ {2}0\.40000000 BTC in 2 coins/);

    // anyone, no database: the file verifies against the node
    const v = await runCli(['por', 'verify', file, '--node', node.rpcUrl, '--rpc-user', node.rpcUser, '--rpc-password', node.rpcPassword, '--json'], { env: { SOBERANA_DB: '' }, timeoutMs: 120_000 });
    assert.equal(v.code, 0, v.stderr);
    const report = JSON.parse(v.stdout) as { ok: boolean; provenTotal: string; challenge: string };
    assert.equal(report.ok, true);
    assert.equal(report.provenTotal, '40000000');
    assert.equal(report.challenge, ch.nonce);

    // the challenge answered: replayed
    const replay = await cli(['por', 'create', '--as', 'luis', '--vault', g.vault.name, '--message', 'replay', '--challenge', ch.id], 5);
    assert.match(replay.stderr, /answered already/);
    const listed = (JSON.parse((await cli(['por', 'challenges', '--json'])).stdout) as { challenges: { id: string; roundId: number; answeredAtMs: number | null }[] }).challenges;
    assert.deepEqual(listed.map((c) => [c.id, c.roundId, c.answeredAtMs !== null]), [[ch.id, made.proof.id, true]]);
  } finally {
    await db.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
});
