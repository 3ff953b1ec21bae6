// The spend-governance CLI (its main(), in-process: see cliInProcess) against the embedded
// regtest node (over its RPC): members, the bootstrap policy, propose → approve (the proposer's role refused) → export a
// binary .psbt → `signer sign` twice, separately → import both → finalize → broadcast → mine → sync
// → `spend show` confirmed; `policy test`, `audit verify` and `audit export`; exit codes of refusals.
// The same steps as docs/spending.md, with the same example keys and policy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliInProcess } from './helpers/cli.ts';
import { useRegtestNode } from './helpers/regtest.ts';

const regtest = useRegtestNode();
const runCli = cliInProcess();
const EXAMPLES = join(import.meta.dirname, '..', 'docs', 'examples', 'spending');
const FOREIGN = 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080';

test('spend governance through the CLI, proposal to confirmed transaction', async () => {
  const node = regtest.node();
  await node.activateSegwit();
  const dir = mkdtempSync(join(tmpdir(), 'soberana-cli-spend-'));
  const url = new URL(node.rpcUrl);
  url.username = node.rpcUser;
  url.password = node.rpcPassword;
  const env = { SOBERANA_NETWORK: 'regtest', SOBERANA_DB: join(dir, 'reserve.db'), SOBERANA_RPC_URL: url.toString(), SOBERANA_ACTOR: '' };
  const cli = async (args: string[], expect = 0) => {
    const r = await runCli(args, { env });
    assert.equal(r.code, expect, `soberana ${args.join(' ')}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    return r;
  };
  try {
    await cli(['vault', 'add', '--name', 'reserve', '--descriptor', readFileSync(join(EXAMPLES, 'vault.descriptor'), 'utf8').trim()]);
    const address = (JSON.parse((await cli(['address', 'new', '--vault', 'reserve', '--json'])).stdout) as { address: string }).address;
    await node.fund(address, 1_200_000_000n, { confirm: true });
    await cli(['sync']);

    await cli(['member', 'add', '--name', 'luis', '--role', 'operator'], 7); // the first member must be an admin
    await cli(['member', 'add', '--name', 'ana', '--role', 'admin']);
    await cli(['member', 'add', '--as', 'ana', '--name', 'luis', '--role', 'operator']);
    await cli(['member', 'add', '--as', 'ana', '--name', 'maria', '--role', 'approver', '--group', 'finance']);
    await cli(['member', 'add', '--as', 'luis', '--name', 'eve', '--role', 'admin'], 7);
    await cli(['member', 'add', '--as', 'ana', '--name', 'pedro', '--role', 'approver', '--group', 'central-bank']);
    await cli(['spend', 'propose', '--as', 'luis', '--vault', 'reserve', '--to', `${FOREIGN}:1.5`, '--fee-rate', '2'], 6); // no policy yet: POLICY_DENIED
    await cli(['policy', 'propose', '--as', 'ana', join(EXAMPLES, 'policy.json')]);
    assert.match((await cli(['policy', 'show'])).stdout, /up-to-10-btc → approval by 1 of finance AND 1 of central-bank/);

    await cli(['spend', 'propose', '--as', 'luis', '--vault', 'reserve', '--to', `${FOREIGN}:11`, '--fee-rate', '2'], 6); // above 10 BTC: POLICY_DENIED, audited
    await cli(['spend', 'propose', '--as', 'luis', '--vault', 'reserve', '--to', 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4:1', '--fee-rate', '2'], 3); // mainnet address
    const proposed = JSON.parse((await cli(['spend', 'propose', '--as', 'luis', '--vault', 'reserve', '--to', `${FOREIGN}:1.5`, '--fee-rate', '2', '--memo', 'settlement #1', '--json'])).stdout) as { proposal: { id: number; state: string; feeSats: string } };
    assert.equal(proposed.proposal.state, 'proposed');
    const id = String(proposed.proposal.id);

    await cli(['spend', 'export', id, '--as', 'luis', '--out', join(dir, 'unsigned.psbt')], 6); // not approved yet
    await cli(['spend', 'approve', id, '--as', 'luis'], 7); // an operator is not an approver
    await cli(['spend', 'approve', id, '--as', 'maria']);
    await cli(['spend', 'approve', id, '--as', 'pedro']);
    assert.match((await cli(['policy', 'test', '--proposal', id])).stdout, /rule 1 'up-to-10-btc' matched[\s\S]*→ ready/);

    await cli(['spend', 'export', id, '--as', 'luis', '--out', join(dir, 'unsigned.psbt')]);
    const psbtBytes = readFileSync(join(dir, 'unsigned.psbt'));
    assert.equal(Buffer.from(psbtBytes.subarray(0, 5)).toString('hex'), '70736274ff', 'a binary PSBT (BIP174 magic)');
    await cli(['signer', 'sign', '--xprv-file', join(EXAMPLES, 'finance.tprv'), join(dir, 'unsigned.psbt'), '--out', join(dir, 'finance.psbt')]);
    await cli(['signer', 'sign', '--xprv-file', join(EXAMPLES, 'central-bank.tprv'), join(dir, 'unsigned.psbt'), '--out', join(dir, 'central-bank.psbt')]);
    await cli(['spend', 'broadcast', id, '--as', 'luis'], 6); // not signed yet
    assert.match((await cli(['spend', 'import', id, join(dir, 'finance.psbt'), '--as', 'luis'])).stdout, /input 0: 1\/2; more signatures needed/);
    assert.match((await cli(['spend', 'import', id, join(dir, 'central-bank.psbt'), '--as', 'luis'])).stdout, /complete/);
    const fin = JSON.parse((await cli(['spend', 'finalize', id, '--as', 'luis', '--json'])).stdout) as { txid: string };
    await cli(['spend', 'broadcast', id, '--as', 'luis']);
    assert.ok((await node.chainSource().mempool()).some((m) => m.txid === fin.txid));

    await node.mine(1);
    await cli(['sync']);
    const shown = JSON.parse((await cli(['spend', 'show', id, '--json'])).stdout) as { proposal: { state: string; txid: string }; approvals: unknown[] };
    assert.equal(shown.proposal.state, 'confirmed');
    assert.equal(shown.approvals.length, 2);
    const bal = JSON.parse((await cli(['balance', '--json'])).stdout) as unknown;
    assert.match(JSON.stringify(bal), new RegExp(String(1_200_000_000n - 150_000_000n - BigInt(proposed.proposal.feeSats))));

    assert.match((await cli(['audit', 'verify'])).stdout, /audit log intact/);
    await cli(['audit', 'export', '--out', join(dir, 'audit.jsonl')]);
    const lines = readFileSync(join(dir, 'audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { action: string });
    assert.ok(lines.some((l) => l.action === 'spend.confirmed'));
    assert.ok(lines.some((l) => l.action === 'spend.propose.denied'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
