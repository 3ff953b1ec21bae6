// kill -9 between broadcast and record (issue #11): the real `soberana spend broadcast` talks to the
// embedded node through a small RPC relay on 127.0.0.1; when the node has ANSWERED the
// `sendrawtransaction`, the relay kills the CLI with SIGKILL before the answer reaches it. The
// proposal is left `broadcasting` (recorded before the call); `soberana sync` finds the transaction
// at the node and moves it to `broadcast`, then `confirmed` once mined. SQLite and PostgreSQL.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, request, type Server } from 'node:http';
import { join } from 'node:path';
import { forEachEngine } from './helpers/engines.ts';
import { useRegtestNode } from './helpers/regtest.ts';
import { runCli } from './helpers/cli.ts';
import { proposeSpend } from '../src/app/propose-spend.ts';
import { approveProposal } from '../src/app/approve-proposal.ts';
import { openDatabase } from '../src/adapters/store/database.ts';
import { SqlSpendStore } from '../src/adapters/store/spend-store.ts';
import { SqlVaultStore } from '../src/adapters/store/vault-store.ts';
import { syncVault } from '../src/app/sync-vault.ts';
import { trackProposals } from '../src/app/track-proposals.ts';
import { verifyAuditLog } from '../src/app/verify-audit-log.ts';
import { FOREIGN, setupGovernance, signAndFinalize } from './spend/fixtures.ts';

const regtest = useRegtestNode();
const BIN = join(import.meta.dirname, '..', 'bin', 'soberana.js');

/** Relay RPC to the node; after the node answers a sendrawtransaction, call `onBroadcastAnswered` and drop the answer. */
function rpcRelay(target: URL, onBroadcastAnswered: () => void): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const fwd = request(target, { method: 'POST', headers: { ...req.headers, host: target.host } }, (up) => {
        const back: Buffer[] = [];
        up.on('data', (c: Buffer) => back.push(c));
        up.on('end', () => {
          if (body.includes('sendrawtransaction')) {
            onBroadcastAnswered();
            res.destroy();
            return;
          }
          res.writeHead(up.statusCode ?? 500, up.headers);
          res.end(Buffer.concat(back));
        });
      });
      fwd.on('error', () => res.destroy());
      fwd.end(body);
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const addr = server.address();
    const port = typeof addr === 'object' && addr ? addr.port : 0;
    const url = new URL(target);
    url.host = `127.0.0.1:${port}`;
    resolve({ url: url.toString(), server });
  }));
}

forEachEngine('kill -9 between broadcast and record', (t) => {
  test('the proposal is left broadcasting; sync finds the transaction at the node and settles it', async () => {
    const node = regtest.node();
    const url = await t.url();
    const db = await openDatabase({ url });
    const g = await setupGovernance(node, db, { fund: [100_000_000n] });
    g.clock.set(Date.now()); // the CLI reads the wall clock: keep the records on the same time line
    const { proposal } = await proposeSpend(g.deps, { actor: 'luis', vault: g.vault.name, payments: [{ address: FOREIGN, sats: 30_000_000n }], feeRateSatPerKvb: 2_000n });
    await approveProposal(g.deps, { actor: 'maria', proposalId: proposal.id });
    await approveProposal(g.deps, { actor: 'pedro', proposalId: proposal.id });
    const { txid } = await signAndFinalize(g, proposal.id);
    await db.close();

    const rpc = new URL(node.rpcUrl);
    rpc.username = node.rpcUser;
    rpc.password = node.rpcPassword;
    let child: ChildProcess | undefined;
    let killed = false;
    const relay = await rpcRelay(rpc, () => {
      killed = child?.kill('SIGKILL') ?? false;
    });
    const env = { ...process.env, SOBERANA_NETWORK: 'regtest', SOBERANA_DB: url, SOBERANA_ACTOR: '' };
    try {
      const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
        child = spawn(process.execPath, [BIN, 'spend', 'broadcast', String(proposal.id), '--as', 'luis'], { env: { ...env, SOBERANA_RPC_URL: relay.url }, stdio: 'ignore' });
        child.on('exit', (code, signal) => resolve({ code, signal }));
      });
      assert.equal(exit.signal, 'SIGKILL', `the CLI was killed mid-broadcast (exit ${String(exit.code)})`);
      assert.ok(killed);
      assert.ok((await node.chainSource().mempool()).some((m) => m.txid === txid), 'the node has the transaction');

      const reopened = await openDatabase({ url });
      const spends = new SqlSpendStore(reopened);
      assert.equal((await spends.proposal(proposal.id))?.state, 'broadcasting', 'recorded before the node was asked, never resolved');

      const direct = { ...env, SOBERANA_RPC_URL: rpc.toString() };
      const synced = await runCli(['sync', '--json'], { env: direct });
      assert.equal(synced.code, 0, synced.stderr);
      const out = JSON.parse(synced.stdout) as { proposals: { proposalId: number; from: string; to: string }[] };
      assert.deepEqual(out.proposals.map((c) => [c.proposalId, c.from, c.to]), [[proposal.id, 'broadcasting', 'broadcast']]);
      assert.equal((await spends.proposal(proposal.id))?.state, 'broadcast');

      // Then as any later sync (in-process, same use cases as the CLI's): mined → confirmed.
      await node.mine(1);
      const vaults = new SqlVaultStore(reopened);
      await syncVault({ chain: node.chainSource(), store: vaults }, g.vault);
      await trackProposals({ spends, vaults, now: () => Date.now(), network: 'regtest' }, {});
      assert.equal((await spends.proposal(proposal.id))?.state, 'confirmed');
      assert.equal((await verifyAuditLog({ spends })).ok, true);
      await reopened.close();
    } finally {
      relay.server.close();
    }
  });
});
