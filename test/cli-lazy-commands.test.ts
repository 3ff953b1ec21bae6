/**
 * Fast CLI start (issue #12, ADR 0008): a command line loads only the command group it names, and
 * heavy dependencies load only in the commands that use them. The compiled CLI runs in a child
 * process that records every module it loads (ESM resolutions and the CommonJS cache).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { compile } from '../scripts/build.mjs';
import { COMMAND_GROUPS, commandNameOf, groupsFor } from '../src/cli/commands/index.ts';

const ROOT = join(import.meta.dirname, '..');
const HEAVY = ['bcoin', 'fastify', 'pg', 'better-sqlite3', 'kysely', 'bitcoinjs-lib', '@bitcoinerlab/descriptors', 'pino', 'pino-pretty', 'vite'] as const;

/** Packages (from HEAVY) the compiled CLI loads for `argv`, and its exit code. */
function packagesLoadedBy(argv: readonly string[], dir: string): { code: number | null; loaded: Set<string>; stderr: string } {
  const log = join(dir, `modules-${Math.random().toString(36).slice(2)}.log`);
  const hook = `import { appendFileSync } from 'node:fs';
export async function resolve(spec, ctx, next) { const r = await next(spec, ctx); appendFileSync(${JSON.stringify(log)}, r.url + '\\n'); return r; }`;
  const script = `
import { register, createRequire } from 'node:module';
import { appendFileSync } from 'node:fs';
register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hook)}));
const { main } = await import(${JSON.stringify(join(ROOT, 'dist', 'cli', 'main.js'))});
const code = await main(${JSON.stringify(argv)});
appendFileSync(${JSON.stringify(log)}, Object.keys(createRequire(import.meta.url).cache).join('\\n') + '\\n');
process.exitCode = code;`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  const text = readFileSync(log, 'utf8');
  const loaded = new Set(HEAVY.filter((p) => text.includes(`/node_modules/${p}/`)));
  return { code: r.status, loaded, stderr: r.stderr };
}

test('every top-level command is claimed by the group that registers it, so the CLI loads the right group', async () => {
  for (const g of COMMAND_GROUPS) {
    const program = new Command();
    if (g.extends !== undefined) program.command(g.extends); // registered by the group it extends
    const before = new Set(program.commands.map((c) => c.name()));
    (await g.load()).register(program);
    const added = program.commands.map((c) => c.name()).filter((n) => !before.has(n));
    for (const name of added) assert.ok(g.names.includes(name), `command "${name}" is registered by a group that does not list it in COMMAND_GROUPS`);
  }
});

test('the command name is found after global options and their values', () => {
  assert.equal(commandNameOf(['--db', 'x.db', '--json', 'balance', '--vault', 'v']), 'balance');
  assert.equal(commandNameOf(['--db=x.db', '--network', 'regtest', 'vault', 'list']), 'vault');
  assert.equal(commandNameOf(['--json']), undefined);
  assert.equal(groupsFor(['--version']).length, 0);
  assert.equal(groupsFor(['--help']).length, COMMAND_GROUPS.length);
  assert.equal(groupsFor(['no-such-command']).length, COMMAND_GROUPS.length);
  assert.deepEqual(groupsFor(['vault', 'import']).map((g) => g.names), [['vault'], ['vault', 'labels']]);
  // `labels` lives in the group that extends `vault`: the vault group loads first
  assert.deepEqual(groupsFor(['labels', 'export']).map((g) => g.names), [['vault'], ['vault', 'labels']]);
});

test('each command loads only its own heavy dependencies: none for --version, the SQLite driver and no node, server or bitcoin library for balance', async () => {
  await compile();
  const dir = mkdtempSync(join(tmpdir(), 'soberana-lazy-'));
  try {
    const version = packagesLoadedBy(['--version'], dir);
    assert.equal(version.code, 0, version.stderr);
    assert.deepEqual([...version.loaded], []);

    const balance = packagesLoadedBy(['--db', join(dir, 'b.db'), 'balance', '--json'], dir);
    assert.equal(balance.code, 0, balance.stderr);
    // kysely runs from its one-file bundle in dist/vendor/ (scripts/build.mjs), not from node_modules
    assert.deepEqual([...balance.loaded].sort(), ['better-sqlite3']);

    const descriptor = packagesLoadedBy(['descriptor', 'info', 'wpkh(02f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9)', '--json'], dir);
    assert.ok(!descriptor.loaded.has('bcoin') && !descriptor.loaded.has('fastify') && !descriptor.loaded.has('better-sqlite3') && !descriptor.loaded.has('pg'), [...descriptor.loaded].join(', '));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
