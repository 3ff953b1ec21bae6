// The layer rule of docs/ARCHITECTURE.md fires on deliberate violations and stays quiet on
// legal imports. Uses ESLint's API on in-memory source text placed at real paths.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ESLint } from 'eslint';

// The project's real eslint.config.js, with type-aware parsing switched off for the
// in-memory example files only (they do not exist on disk, so the TS project cannot see them).
const eslint = new ESLint({
  cwd: process.cwd(),
  overrideConfig: {
    files: ['**/*-example.ts'],
    languageOptions: { parserOptions: { projectService: false, project: null } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'off',
      '@typescript-eslint/no-misused-promises': 'off',
      '@typescript-eslint/switch-exhaustiveness-check': 'off',
    },
  },
});

async function layerErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  assert.ok(result, 'eslint returned a result');
  const fatal = result.messages.filter((m) => m.fatal);
  assert.deepEqual(fatal, [], 'the example parsed');
  return result.messages.filter((m) => m.ruleId === 'soberana/layers').map((m) => m.message);
}

test('src/core importing an adapter is an error', async () => {
  const errs = await layerErrors('src/core/bad-example.ts', "import { openDatabase } from '../adapters/store/database.ts';\nexport const x = openDatabase;\n");
  assert.equal(errs.length, 1);
  assert.match(errs[0] ?? '', /src\/core must not import src\/adapters/);
});

test('src/core importing a Node I/O module is an error', async () => {
  for (const spec of ['node:fs', 'fs', 'node:net', 'node:crypto', 'node:child_process']) {
    const errs = await layerErrors('src/core/bad-example.ts', `import * as m from '${spec}';\nexport const x = m;\n`);
    assert.equal(errs.length, 1, spec);
    assert.match(errs[0] ?? '', /must stay pure/);
  }
});

test('src/core importing an I/O package (database, server, node) is an error', async () => {
  const errs = await layerErrors('src/core/bad-example.ts', "import pg from 'pg';\nexport const x = pg;\n");
  assert.equal(errs.length, 1);
});

test('src/core dynamic import of the app layer is an error', async () => {
  const errs = await layerErrors('src/core/bad-example.ts', "export const x = () => import('../app/anything.ts');\n");
  assert.equal(errs.length, 1);
});

test('src/app importing src/adapters is an error', async () => {
  const errs = await layerErrors('src/app/bad-example.ts', "import { openDatabase } from '../adapters/store/database.ts';\nexport const x = openDatabase;\n");
  assert.equal(errs.length, 1);
  assert.match(errs[0] ?? '', /src\/app must not import src\/adapters/);
});

test('legal imports pass: core→core, app→core, adapters→core, cli→adapters', async () => {
  assert.deepEqual(await layerErrors('src/core/ok-example.ts', "import { DomainError } from './errors.ts';\nexport const x = DomainError;\n"), []);
  assert.deepEqual(await layerErrors('src/app/ok-example.ts', "import { DomainError } from '../core/errors.ts';\nexport const x = DomainError;\n"), []);
  assert.deepEqual(await layerErrors('src/adapters/ok-example.ts', "import { DomainError } from '../core/errors.ts';\nimport fs from 'node:fs';\nexport const x = [DomainError, fs];\n"), []);
  assert.deepEqual(await layerErrors('src/cli/ok-example.ts', "import { openDatabase } from '../adapters/store/database.ts';\nexport const x = openDatabase;\n"), []);
});

// The whole tree needs only the layer rule, which reads import specifiers, not types: the same
// config with every other rule filtered out and without the TypeScript project (type-aware
// parsing of all of src/ is what made this test take half a minute; `npm run lint` runs the rest).
const layersOnly = new ESLint({
  cwd: process.cwd(),
  overrideConfig: { files: ['**/*.ts'], languageOptions: { parserOptions: { projectService: false, project: null } } },
  ruleFilter: ({ ruleId }) => ruleId === 'soberana/layers',
});

test('the real source tree has no layer violation', async () => {
  const results = await layersOnly.lintFiles(['src']);
  assert.ok(results.length > 100, `linted ${results.length} files of src/`);
  assert.deepEqual(results.flatMap((r) => r.messages.filter((m) => m.fatal).map((m) => `${r.filePath}: ${m.message}`)), [], 'every file parsed');
  // and this cheaper setup is not blind: it sees a violation placed at a real path of src/core
  const [probe] = await layersOnly.lintText("import { openDatabase } from '../adapters/store/database.ts';\nexport const x = openDatabase;\n", { filePath: 'src/core/errors.ts' });
  assert.deepEqual(probe?.messages.map((m) => m.ruleId), ['soberana/layers']);
  const violations = results.flatMap((r) => r.messages.filter((m) => m.ruleId === 'soberana/layers').map((m) => `${r.filePath}:${m.line} ${m.message}`));
  assert.deepEqual(violations, []);
});
