/**
 * The packed package installs into an empty folder and runs there, with no source tree around it
 * (issue #12, ADR 0008): `npm pack`, then `npm install <tarball>` in a new folder, then
 * `npx soberana --help`, `descriptor info --json` and `status --json` on a fresh SQLite file.
 *
 * The install runs every install script, as a user's does, with two stand-ins for the network:
 * packages come from the npm cache first (`--prefer-offline`), and better-sqlite3's install script
 * (prebuild-install) downloads its prebuilt binary from a local mirror that serves the binary this
 * checkout built for this Node — where users download the same file from GitHub — instead of
 * compiling SQLite for minutes. The embedded regtest node (bcoin, an optional dependency whose
 * native leveldown does not build outside the repository's override) is left out with
 * `--omit=optional`; `node start` then says in one line that it is missing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile as execFileCb, execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildWeb, compile } from '../scripts/build.mjs';

const execFile = promisify(execFileCb);
const ROOT = join(import.meta.dirname, '..');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

test('the packed tarball installs into an empty folder and runs: --help, descriptor info, status on a fresh database', { timeout: 900_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'soberana-pack-'));
  // the local mirror of better-sqlite3's prebuilt binaries
  const prebuilt = join(dir, 'better-sqlite3-prebuilt.tar.gz');
  execFileSync('tar', ['-C', join(ROOT, 'node_modules', 'better-sqlite3'), '-czf', prebuilt, 'build/Release/better_sqlite3.node']);
  const requested: string[] = [];
  const mirror = createServer((req, res) => {
    requested.push(req.url ?? '');
    if (!req.url?.endsWith('.tar.gz')) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/gzip' }).end(readFileSync(prebuilt));
  });
  await new Promise<void>((resolve) => mirror.listen(0, '127.0.0.1', resolve));
  const address = mirror.address();
  assert.ok(address && typeof address === 'object');
  try {
    await compile({ strict: true });
    await buildWeb();
    // the build is done above (strictly); pack only packs
    await execFile(NPM, ['pack', '--ignore-scripts', '--pack-destination', dir], { cwd: ROOT, timeout: 120_000 });
    const tarball = readdirSync(dir).find((f) => /^soberana-.*\.tgz$/.test(f));
    assert.ok(tarball, 'npm pack wrote no tarball');
    const listing = execFileSync('tar', ['-tzf', join(dir, tarball)], { encoding: 'utf8' }).split('\n');
    assert.ok(listing.includes('package/dist/cli/main.js'), 'the tarball holds the compiled CLI');
    assert.ok(listing.includes('package/web/dist/index.html'), 'the tarball holds the built dashboard');
    assert.ok(!listing.some((f) => f.startsWith('package/src/') || f.endsWith('.ts')), 'the tarball holds no TypeScript sources');

    const app = join(dir, 'app');
    execFileSync('mkdir', [app]);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'empty-folder', version: '1.0.0', private: true }));
    const env = { ...process.env, npm_config_nodedir: process.env.npm_config_nodedir ?? '/usr' };
    const installEnv = { ...env, npm_config_better_sqlite3_binary_host: `http://127.0.0.1:${address.port}` };
    await execFile(NPM, ['install', '--prefer-offline', '--no-audit', '--no-fund', '--omit=optional', join(dir, tarball)], { cwd: app, env: installEnv, timeout: 600_000 });
    assert.ok(requested.some((u) => u.includes('better-sqlite3')), 'better-sqlite3 installed its prebuilt binary through its install script');
    assert.ok(!existsSync(join(app, 'node_modules', 'tsx')), 'tsx is not installed with the package');

    const soberana = (args: string[]) => execFile('npx', ['--no-install', 'soberana', ...args], { cwd: app, env, timeout: 60_000 });
    const help = await soberana(['--help']);
    assert.match(help.stdout, /Usage: soberana/);
    assert.match(help.stdout, /balance/);

    const key = '02f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9';
    const info = JSON.parse((await soberana(['descriptor', 'info', `wpkh(${key})`, '--no-checksum', '--json'])).stdout) as Record<string, unknown>;
    assert.ok(JSON.stringify(info).includes(key), 'descriptor info describes the key it was given');

    const status = JSON.parse((await soberana(['--db', join(app, 'fresh.db'), 'status', '--json'])).stdout) as { database: { engine: string; schemaVersion: number } };
    assert.equal(status.database.engine, 'sqlite');
    assert.ok(status.database.schemaVersion >= 1, 'the fresh database was migrated');

    const node = await soberana(['node', 'start']).then(() => null, (e: { code: number; stderr: string }) => e);
    assert.ok(node !== null && node.code !== 0, 'node start fails without the optional embedded node');
    assert.match(node.stderr, /optional package "bcoin"/);
  } finally {
    mirror.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
