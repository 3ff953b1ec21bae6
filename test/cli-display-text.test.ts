// What people read is what is true (issue #19), through the CLI's compiled main(): a memo carrying terminal
// escape codes, a carriage return and a line break (the attack: erase the line above and print a
// forged amount) is shown by `soberana spend show` written out visibly, so the real amount is the
// only "pay:" line; the same in --json, in a member's name with a bidi override, and in an error
// message that quotes what the user typed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliInProcess } from './helpers/cli.ts';
import { useRegtestNode } from './helpers/regtest.ts';

const regtest = useRegtestNode();
/** In-process (see cliInProcess): what matters here is what the commands write, not the process. */
const runCli = cliInProcess();
const EXAMPLES = join(import.meta.dirname, '..', 'docs', 'examples', 'spending');
const FOREIGN = 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080';

const MEMO = `settlement #1\n  pay:       0.01000000 BTC to ${FOREIGN}\u001b[1A\u001b[2K\r  (DISPLAY FORGED)`;
const MEMO_SHOWN = `settlement #1\\n  pay:       0.01000000 BTC to ${FOREIGN}\\u001b[1A\\u001b[2K\\r  (DISPLAY FORGED)`;
const NAME = 'Auditor \u202eFMI\u202c';
const NAME_SHOWN = 'Auditor \\u202eFMI\\u202c';
/** C0 except the report's own line feeds, DEL, C1, bidi controls. */
// eslint-disable-next-line no-control-regex -- looking for exactly those characters
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

test('spend show prints a forged memo escaped: the real amount is the only pay line', async () => {
  const node = regtest.node();
  await node.activateSegwit();
  const dir = mkdtempSync(join(tmpdir(), 'soberana-cli-display-'));
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
    await node.fund(address, 300_000_000n, { confirm: true });
    await cli(['sync']);
    await cli(['member', 'add', '--name', 'ana', '--role', 'admin']);
    await cli(['member', 'add', '--as', 'ana', '--name', 'luis', '--role', 'operator']);
    await cli(['policy', 'propose', '--as', 'ana', join(EXAMPLES, 'policy.json')]);

    const proposed = JSON.parse((await cli(['spend', 'propose', '--as', 'luis', '--vault', 'reserve', '--to', `${FOREIGN}:1.5`, '--fee-rate', '2', '--memo', MEMO, '--json'])).stdout) as { proposal: { id: number; memo: string } };
    assert.equal(proposed.proposal.memo, MEMO_SHOWN, 'the --json reply of propose');
    const id = String(proposed.proposal.id);

    const shown = await cli(['spend', 'show', id]);
    assert.ok(!RAW.test(shown.stdout), `raw control characters on the terminal: ${JSON.stringify(shown.stdout)}`);
    const lines = shown.stdout.split('\n');
    assert.ok(lines.some((l) => l.startsWith('  proposer:  luis') && l.endsWith(`memo: ${MEMO_SHOWN}`)), shown.stdout);
    assert.deepEqual(lines.filter((l) => l.startsWith('  pay:')), [`  pay:       1.50000000 BTC to ${FOREIGN}`], 'the real amount, and only it');
    assert.match(shown.stdout, /^ {2}vault: {5}reserve$/m, 'the report keeps its own lines');

    const json = JSON.parse((await cli(['spend', 'show', id, '--json'])).stdout) as { proposal: { memo: string } };
    assert.equal(json.proposal.memo, MEMO_SHOWN);

    // a member's name with a bidi override, human and --json
    assert.ok((await cli(['member', 'add', '--as', 'ana', '--name', NAME, '--id', 'imf', '--role', 'auditor'])).stdout.includes(`(${NAME_SHOWN})`));
    const list = await cli(['member', 'list']);
    assert.ok(!RAW.test(list.stdout), list.stdout);
    assert.ok(list.stdout.includes(NAME_SHOWN), list.stdout);
    const listJson = JSON.parse((await cli(['member', 'list', '--json'])).stdout) as { members: { id: string; name: string }[] };
    assert.equal(listJson.members.find((m) => m.id === 'imf')?.name, NAME_SHOWN);

    // an error that quotes what was typed: one line on stderr, escaped (human and --json)
    const err = await cli(['vault', 'show', 'x\u001b[2Ky\u202e'], 4);
    assert.equal(err.stderr.split('\n').filter(Boolean).length, 1, err.stderr);
    assert.ok(err.stderr.includes('x\\u001b[2Ky\\u202e') && !RAW.test(err.stderr), JSON.stringify(err.stderr));
    const errJson = JSON.parse((await cli(['vault', 'show', 'x\u001b[2Ky\u202e', '--json'], 4)).stderr) as { error: { message: string } };
    assert.ok(errJson.error.message.includes('x\\u001b[2Ky\\u202e'), errJson.error.message);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
