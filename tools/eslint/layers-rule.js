// ESLint rule `soberana/layers`: keeps the architecture's import rules true.
//   src/core      imports only src/core, and no Node I/O module or I/O package
//   src/app       imports src/core and src/app, never src/adapters, cli or server
//   src/adapters  imports src/core and src/adapters
//   src/cli, src/server: anything (they wire the layers together)
// See docs/ARCHITECTURE.md.
import path from 'node:path';

const LAYERS = ['core', 'app', 'adapters', 'cli', 'server'];

const ALLOWED = {
  core: new Set(['core']),
  app: new Set(['core', 'app']),
  adapters: new Set(['core', 'adapters']),
  cli: new Set(LAYERS),
  server: new Set(LAYERS),
};

// Node modules that do I/O, read the clock or the environment in a hidden way, or give randomness.
const NODE_IO = new Set([
  'fs', 'fs/promises', 'net', 'http', 'http2', 'https', 'child_process', 'dgram', 'dns', 'dns/promises',
  'tls', 'worker_threads', 'cluster', 'readline', 'readline/promises', 'os', 'process', 'crypto',
  'timers', 'timers/promises', 'perf_hooks', 'inspector', 'repl', 'v8', 'vm', 'module', 'sqlite', 'test',
]);
// Packages whose only purpose is I/O: databases, servers, loggers, nodes, HTTP clients.
const IO_PACKAGES = new Set([
  'pg', 'better-sqlite3', 'kysely', 'fastify', 'pino', 'pino-pretty', 'bcoin', 'undici', 'node-fetch',
  'axios', 'commander', 'playwright-core', 'ws',
]);

function layerOf(file) {
  const norm = file.split(path.sep).join('/');
  const m = /(?:^|\/)src\/([^/]+)\//.exec(norm);
  if (!m) return undefined;
  return LAYERS.includes(m[1]) ? m[1] : undefined;
}

function bareName(spec) {
  const s = spec.startsWith('node:') ? spec.slice(5) : spec;
  if (s.startsWith('@')) return s.split('/').slice(0, 2).join('/');
  return s.split('/')[0];
}

export default {
  meta: {
    type: 'problem',
    docs: { description: 'enforce the import rules between src/core, src/app, src/adapters, src/cli and src/server' },
    schema: [],
    messages: {
      layer: '{{from}} must not import {{to}} ("{{spec}}"): see docs/ARCHITECTURE.md',
      io: 'src/{{from}} must stay pure: "{{spec}}" does I/O (inject it through a port in src/core/ports.ts)',
    },
  },
  create(context) {
    const filename = context.filename ?? context.getFilename();
    const from = layerOf(filename);
    // Test files beside the code they test are not part of the layer's runtime.
    if (!from || /\.test\.[cm]?[jt]s$/.test(filename)) return {};
    function check(node, source) {
      if (!source || typeof source.value !== 'string') return;
      const spec = source.value;
      if (spec.startsWith('.') || spec.startsWith('/')) {
        const target = path.resolve(path.dirname(filename), spec);
        const to = layerOf(target + '/');
        const inSrc = /(?:^|\/)src\//.test(target.split(path.sep).join('/'));
        if (!inSrc && from !== 'cli' && from !== 'server') {
          context.report({ node, messageId: 'layer', data: { from: `src/${from}`, to: 'files outside src/', spec } });
          return;
        }
        if (to && !ALLOWED[from].has(to)) {
          context.report({ node, messageId: 'layer', data: { from: `src/${from}`, to: `src/${to}`, spec } });
        }
        return;
      }
      if (from === 'core' || from === 'app') {
        const name = bareName(spec);
        if (from === 'core' && NODE_IO.has(name)) {
          context.report({ node, messageId: 'io', data: { from, spec } });
        } else if (IO_PACKAGES.has(name)) {
          context.report({ node, messageId: 'io', data: { from, spec } });
        }
      }
    }
    return {
      ImportDeclaration: (n) => check(n, n.source),
      ExportNamedDeclaration: (n) => check(n, n.source),
      ExportAllDeclaration: (n) => check(n, n.source),
      ImportExpression: (n) => check(n, n.source),
    };
  },
};
