// The "verify it yourself" commands survive a real shell: every descriptor (with its hardened
// ' steps) and the scantxoutset JSON reach bitcoin-cli byte for byte.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { execFileSync } from 'node:child_process';
import { shellQuote, verificationSteps } from '../../src/server/routes/public.ts';

const DESC = "wsh(sortedmulti(2,[aaaaaaaa/48'/1'/0'/2']tpubA/<0;1>/*,[bbbbbbbb/48'/1'/0'/2']tpubB/<0;1>/*))#abcdefgh";

/** What a POSIX shell passes to the program as arguments. */
function argv(commandLine: string): string[] {
  const out = execFileSync('/bin/sh', ['-c', `for a in ${commandLine}; do printf '%s\\0' "$a"; done`]).toString();
  return out.split('\0').slice(0, -1);
}

test('shellQuote round-trips through /bin/sh', () => {
  for (const s of [DESC, 'plain', `it's "quoted" $HOME \`x\` \\`, JSON.stringify([{ desc: DESC, range: 1000 }, 'addr(bc1q)'])]) {
    assert.deepEqual(argv(shellQuote(s)), [s]);
  }
});

test('the steps give bitcoin-cli the exact descriptors and addresses', () => {
  const steps = verificationSteps({
    network: 'main',
    tip: null,
    vaults: [
      { id: 'a', name: 'A', descriptors: [DESC], addresses: [], threshold: 2, keyCount: 2 },
      { id: 'b', name: 'B', descriptors: [], addresses: ['32ixEdVJWo3kmvJGMTZq5jAQVZZeuwnqzo'], threshold: null, keyCount: null },
    ],
  });
  const commands = steps.flatMap((s) => s.commands);
  const derive = commands.find((c) => c.startsWith('bitcoin-cli deriveaddresses'));
  assert.deepEqual(argv(derive ?? ''), ['bitcoin-cli', 'deriveaddresses', DESC, '[0,19]']);
  const scan = argv(commands.find((c) => c.includes('scantxoutset')) ?? '');
  assert.deepEqual(scan.slice(0, 3), ['bitcoin-cli', 'scantxoutset', 'start']);
  assert.deepEqual(JSON.parse(scan[3] ?? ''), [{ desc: DESC, range: 1000 }, 'addr(32ixEdVJWo3kmvJGMTZq5jAQVZZeuwnqzo)']);
  const regtest = verificationSteps({ network: 'regtest', tip: null, vaults: [] });
  assert.ok(regtest.flatMap((s) => s.commands).every((c) => !c.startsWith('bitcoin-cli') || c.startsWith('bitcoin-cli -regtest')));
});
