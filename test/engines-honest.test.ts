// Node versions (issue #12): `engines` in package.json is honest — every package the installed
// program needs at run time (not dev-only) accepts the oldest Node of each line we declare.
// Reads package-lock.json, whose entries carry each package's own `engines` field.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import semver from 'semver';

const root = join(import.meta.dirname, '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { engines: { node: string } };
const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { dev?: boolean; engines?: { node?: string } | string[] }>;
};

/** The oldest x.y.0 of each major line 18–26 that the range admits (20.19.0 and 22.12.0 for ^20.19.0 || >=22.12.0). */
function oldestPerLine(range: string): string[] {
  const out: string[] = [];
  for (let major = 18; major <= 26; major++) {
    for (let minor = 0; minor <= 60; minor++) {
      const v = `${major}.${minor}.0`;
      if (semver.satisfies(v, range)) {
        out.push(v);
        break;
      }
    }
  }
  return out;
}

test('the declared Node range admits Node 20 and 22', () => {
  const lines = oldestPerLine(pkg.engines.node);
  assert.ok(lines.some((v) => v.startsWith('20.')), `engines.node ${pkg.engines.node}`);
  assert.ok(lines.some((v) => v.startsWith('22.')), `engines.node ${pkg.engines.node}`);
  assert.ok(semver.satisfies(process.version, pkg.engines.node), `this Node (${process.version}) is inside the declared range`);
});

test('no run-time dependency demands a newer Node than the oldest we declare', () => {
  const oldest = oldestPerLine(pkg.engines.node);
  const refused: string[] = [];
  let checked = 0;
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path === '' || entry.dev === true) continue;
    const range = Array.isArray(entry.engines) ? undefined : entry.engines?.node;
    if (!range) continue;
    checked++;
    for (const v of oldest) if (!semver.satisfies(v, range)) refused.push(`${path.replace(/^.*node_modules\//, '')} wants node ${range}, refuses ${v}`);
  }
  assert.ok(checked > 50, `read the engines of ${checked} packages`);
  assert.deepEqual(refused, [], 'pin or override these (see "overrides" in package.json)');
});
