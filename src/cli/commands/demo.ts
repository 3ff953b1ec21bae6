import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { parsePort } from '../options.ts';
import { action } from '../context.ts';
import { assertEmbeddedNodeInstalled } from './node.ts';
import { DEMO_MEMBERS, startDemo } from '../demo/build-alliance.ts';
import { startServer } from '../../server/app.ts';
import { ensureWebBuilt } from '../../server/web-build.ts';
import { SqlApiTokenStore } from '../../adapters/store/token-store.ts';
import { SqlSpendStore } from '../../adapters/store/spend-store.ts';
import { SqlPublicView } from '../../adapters/store/public-view-sql.ts';
import { loadPriceHistory } from '../../adapters/prices/csv-price-history.ts';
import { shippedReferenceRates } from '../../adapters/prices/csv-reference-rates.ts';
import { SqlAccountingStore } from '../../adapters/store/accounting-store.ts';
import { SqlProofStore } from '../../adapters/store/proof-store.ts';
import { formatBtc } from '../../core/money.ts';
import { LiveHub } from '../../server/live-events.ts';
import { startLiveSync } from '../live-sync.ts';
import { SqlComplianceStore } from '../../adapters/store/compliance-store.ts';
import { complianceGate } from '../../app/compliance/spend-gate.ts';
import { SqlSettlementStore } from '../../adapters/store/settlement-store.ts';
import { SqlSettlementOnchainStore } from '../../adapters/store/settlement-onchain-store.ts';
import { SqlMiningStore } from '../../adapters/store/mining-store.ts';
import { trackAllEscrows } from '../../app/settlement/escrow.ts';


export function register(program: Command): void {
  program
    .command('demo')
    .description('run the demo: an embedded regtest node, El Salvador\'s replayed purchases, a Pakistan vault, and the dashboard')
    .option('--data <dir>', 'data folder (node, database, demo keys)', 'data/demo')
    .option('--reset', 'delete the data folder and build the demo again')
    .option('--port <port>', 'dashboard port (0 picks a free one)', parsePort, 8080)
    .option('--no-serve', 'build and sync, print the balances, and exit')
    .addHelpText('after', '\nExamples:\n  $ npm start                       # the same as: soberana demo\n  $ npm start -- --reset            # start over\n  $ soberana demo --port 0 --no-serve --json')
    .action(action(async (ctx, o: { data: string; reset?: boolean; port: number; serve: boolean }) => {
      assertEmbeddedNodeInstalled();
      const dataDir = resolve(o.data);
      if (o.reset) rmSync(dataDir, { recursive: true, force: true });
      const t0 = Date.now();
      const log = (l: string) => {
        if (!ctx.json) process.stderr.write(`demo: ${l}\n`);
      };
      log(o.reset ? `starting over in ${dataDir}` : `data folder ${dataDir}`);
      const env = await startDemo({ dataDir, log });
      try {
        const balances = await Promise.all((await env.store.listVaults()).map(async (v) => ({ id: v.id, name: v.name, ...(await env.store.balance(v.id)) })));
        const total = balances.reduce((s, b) => s + b.confirmed, 0n);
        const webRoot = o.serve ? await ensureWebBuilt() : null;
        // The demo follows its own node every 2 s: a block mined with "soberana node mine" shows on the page at once.
        const live = new LiveHub();
        const spends = new SqlSpendStore(env.db);
        const server = o.serve
          ? await startServer(
              {
                publicView: new SqlPublicView(env.db, 'regtest'),
                tokens: new SqlApiTokenStore(env.db),
                vaults: env.store,
                governance: { spends, network: 'regtest', chain: env.node.chainSource(), compliance: complianceGate({ compliance: new SqlComplianceStore(env.db), vaults: env.store }) },
                live,
                prices: loadPriceHistory(),
                accounting: { store: new SqlAccountingStore(env.db), rates: shippedReferenceRates() },
                proofs: { store: new SqlProofStore(env.db), verifyNodeUrl: env.node.rpcUrl },
                compliance: { store: new SqlComplianceStore(env.db) },
                settlement: { store: new SqlSettlementStore(env.db), network: 'regtest', rates: shippedReferenceRates() },
                settlementOnchain: { store: new SqlSettlementOnchainStore(env.db) },
                mining: { store: new SqlMiningStore(env.db) },
                clock: { now: () => Date.now() },
                webRoot,
                logLevel: ctx.config().logLevel,
              },
              { port: o.port, host: '127.0.0.1' },
            )
          : null;
        const follower = server ? startLiveSync({ chain: env.node.chainSource(), store: env.store, spends, compliance: new SqlComplianceStore(env.db), escrows: () => trackAllEscrows({ spends, vaults: env.store, now: () => Date.now(), network: 'regtest', onchain: new SqlSettlementOnchainStore(env.db), cycles: new SqlSettlementStore(env.db) }), network: 'regtest', hub: live, intervalMs: 2000, log }) : null;
        const seconds = ((Date.now() - t0) / 1000).toFixed(1);
        const result = {
          dataDir, built: env.built, seconds: Number(seconds), url: server?.url ?? null,
          rpc: { url: env.node.rpcUrl, user: env.node.rpcUser, password: env.node.rpcPassword },
          database: env.dbPath,
          tipHeight: env.node.height(),
          vaults: balances.map((b) => ({ id: b.id, name: b.name, confirmed: b.confirmed, unconfirmed: b.unconfirmed })),
          total,
          tokens: env.state.tokens,
          proof: { id: env.proof.round.id, file: env.proof.file, totalSats: env.proof.round.totalSats, height: env.proof.round.height, verify: `npx soberana por verify ${env.proof.file} --node ${env.node.rpcUrl} --rpc-user ${env.node.rpcUser} --rpc-password ${env.node.rpcPassword}` },
        };
        ctx.out(result, () => [
          '',
          `Soberana demo ${env.built ? 'built' : 'resumed'} in ${seconds} s (regtest, height ${env.node.height()}).`,
          ...balances.map((b) => `  ${b.name.padEnd(40)} ${formatBtc(b.confirmed).padStart(18)} BTC`),
          `  ${'total'.padEnd(40)} ${formatBtc(total).padStart(18)} BTC`,
          '',
          server ? `Dashboard: ${server.url}` : 'Not serving (--no-serve).',
          `Operator token (demo; acts as member "${DEMO_MEMBERS.operator.name}"): ${env.state.tokens.operator}`,
          `Approver token (demo; acts as "${DEMO_MEMBERS.centralBank.name}", who can give the pending proposal its second approval): ${env.state.tokens.approver}`,
          '',
          'Try the CLI against the same node and database (in another terminal):',
          `  export SOBERANA_DB=${env.dbPath} SOBERANA_NETWORK=regtest`,
          `  export SOBERANA_RPC_URL=${env.node.rpcUrl} SOBERANA_RPC_USER=${env.node.rpcUser} SOBERANA_RPC_PASSWORD=${env.node.rpcPassword}`,
          '  npx soberana balance && npx soberana history --vault el-salvador-reserve',
          '',
          `Proof of reserves ${env.proof.round.id} (El Salvador, ${formatBtc(env.proof.round.totalSats)} BTC at block ${env.proof.round.height}) is published; verify it against this node in one command:`,
          `  npx soberana por verify ${env.proof.file} --node ${env.node.rpcUrl} --rpc-user ${env.node.rpcUser} --rpc-password ${env.node.rpcPassword}`,
          '',
          `Demo keys (regtest only) are in ${dataDir}/keys. ${server ? 'Press Ctrl+C to stop.' : ''}`,
        ].join('\n'));
        if (!server) return;
        await new Promise<void>((done) => {
          const stop = (): void => {
            process.off('SIGINT', stop);
            process.off('SIGTERM', stop);
            void (follower?.stop() ?? Promise.resolve()).then(() => server.app.close()).then(done, done);
          };
          process.on('SIGINT', stop);
          process.on('SIGTERM', stop);
        });
      } finally {
        await env.close();
      }
    }));
}
