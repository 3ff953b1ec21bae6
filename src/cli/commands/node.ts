import { createRequire } from 'node:module';
import type { Command } from 'commander';
import { action, type CliContext } from '../context.ts';
import { DomainError } from '../../core/errors.ts';
import { assertChainNetwork, openChainSource } from '../../adapters/chain/open-chain-source.ts';

interface StartOptions {
  port?: string;
  datadir?: string;
  mineTo?: string;
  blocks?: string;
}

function parseCount(label: string, v: string, min: number, max: number): number {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new DomainError('INVALID_ARGUMENT', `${label} must be an integer from ${min} to ${max}, got "${v}"`);
  }
  return n;
}

/** Resolves on the first SIGINT or SIGTERM. */
function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (s: NodeJS.Signals): void => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(s);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

/**
 * The embedded regtest node is bcoin, an optional dependency: npm skips it where its native
 * parts do not build (an installed package gets bcoin's own leveldown, not the repository's
 * override). Say so in one line instead of failing on a missing module.
 */
export function assertEmbeddedNodeInstalled(): void {
  try {
    createRequire(import.meta.url).resolve('bcoin');
  } catch {
    throw new DomainError('CHAIN_UNAVAILABLE', 'the embedded regtest node needs the optional package "bcoin", which is not installed here (npm skips it where it does not build); install it with "npm install bcoin", or configure a node of your own (docs/deployment.md)');
  }
}

async function start(ctx: CliContext, opts: StartOptions): Promise<void> {
  if (ctx.globals.network !== undefined && ctx.config().network !== 'regtest') {
    throw new DomainError('INVALID_ARGUMENT', `the embedded node runs regtest only, not ${ctx.config().network}`);
  }
  const port = opts.port !== undefined ? parseCount('--port', opts.port, 1, 65535) : undefined;
  const blocks = opts.blocks !== undefined ? parseCount('--blocks', opts.blocks, 0, 100_000) : opts.mineTo !== undefined ? 101 : 0;
  assertEmbeddedNodeInstalled();
  const { startRegtestNode } = await import('../../adapters/chain/regtest-node.ts'); // the embedded node loads only here
  const node = await startRegtestNode({ ...(port !== undefined ? { port } : {}), ...(opts.datadir !== undefined ? { dataDir: opts.datadir } : {}) });
  const stopped = untilSignal();
  try {
    const mined = blocks > 0 ? await node.mine(blocks, opts.mineTo) : [];
    const info = {
      network: node.network,
      rpcUrl: node.rpcUrl,
      rpcUser: node.rpcUser,
      rpcPassword: node.rpcPassword,
      dataDir: opts.datadir ?? null,
      height: node.height(),
      mined: mined.length,
      harnessAddress: node.walletAddress,
    };
    ctx.out(info, () =>
      [
        `regtest node running (embedded bcoin, ${opts.datadir ? `data in ${opts.datadir}` : 'in memory'})`,
        `  rpc url:      ${info.rpcUrl}`,
        `  rpc user:     ${info.rpcUser}`,
        `  rpc password: ${info.rpcPassword}`,
        `  height:       ${info.height}${mined.length ? ` (mined ${mined.length} to ${opts.mineTo ?? node.walletAddress})` : ''}`,
        '',
        'Use it from another shell:',
        `  export SOBERANA_NETWORK=regtest SOBERANA_RPC_URL=${info.rpcUrl} SOBERANA_RPC_USER=${info.rpcUser} SOBERANA_RPC_PASSWORD=${info.rpcPassword}`,
        '  soberana node status',
        '',
        'Press Ctrl-C to stop.',
      ].join('\n'),
    );
    const signal = await stopped;
    process.stderr.write(`${signal}: stopping the regtest node\n`);
  } finally {
    await node.stop();
  }
}

async function status(ctx: CliContext): Promise<void> {
  const cfg = ctx.config();
  if (!cfg.chain) {
    throw new DomainError('INVALID_CONFIG', 'no chain source configured: set SOBERANA_RPC_URL (Bitcoin Core or "soberana node start") or SOBERANA_ESPLORA_URL, or "chain" in soberana.config.json');
  }
  const source = openChainSource(cfg.chain);
  try {
    await assertChainNetwork(source, cfg.network, 'Soberana');
    const tip = await source.tip();
    const header = await source.header(tip.hash);
    const result = { kind: cfg.chain.kind, network: cfg.network, tip: { height: tip.height, hash: tip.hash, time: header.time } };
    ctx.out(result, () =>
      [
        `chain:   ${cfg.chain?.kind} (${cfg.network})`,
        `tip:     ${tip.height} ${tip.hash}`,
        `time:    ${new Date(header.time * 1000).toISOString()}`,
      ].join('\n'),
    );
  } finally {
    await source.close();
  }
}

export function register(program: Command): void {
  const node = program.command('node').description('the Bitcoin node Soberana talks to: run an embedded regtest node, or check the configured one');
  node
    .command('start')
    .description('run an embedded regtest node in the foreground (RPC on 127.0.0.1 only, random password); Ctrl-C stops it')
    .option('--port <n>', 'RPC port on 127.0.0.1 (default: a free port)')
    .option('--datadir <dir>', 'keep the chain in this directory (default: in memory)')
    .option('--mine-to <address>', 'mine blocks to this regtest address at start (default 101 blocks)')
    .option('--blocks <n>', 'how many blocks to mine at start (to --mine-to, or the harness wallet)')
    .addHelpText(
      'after',
      '\nExamples:\n  $ soberana node start\n  $ soberana node start --port 18443 --datadir ./regtest --mine-to bcrt1q… --blocks 101\n  $ soberana node start --json   # one JSON line with rpcUrl, rpcUser, rpcPassword',
    )
    .action(action(async (ctx, opts: StartOptions) => start(ctx, opts)));
  node
    .command('status')
    .description('connect to the configured chain source, check its network, and show its tip')
    .addHelpText('after', '\nExamples:\n  $ SOBERANA_RPC_URL=http://127.0.0.1:18443/ SOBERANA_RPC_USER=soberana SOBERANA_RPC_PASSWORD=… soberana --network regtest node status\n  $ soberana node status --json')
    .action(action(async (ctx) => status(ctx)));
}
