import { InvalidArgumentError, type Command } from 'commander';
import { isIP } from 'node:net';
import { parsePort } from '../options.ts';
import { action } from '../context.ts';
import { DEFAULT_RATE_LIMITS, startServer } from '../../server/app.ts';
import { serverDepsFor } from '../../server/database-deps.ts';
import { DomainError, isDomainError } from '../../core/errors.ts';
import { openChainSource } from '../../adapters/chain/open-chain-source.ts';
import { LiveHub } from '../../server/live-events.ts';
import { startLiveSync } from '../live-sync.ts';
import { SqlComplianceStore } from '../../adapters/store/compliance-store.ts';
import { SqlSpendStore } from '../../adapters/store/spend-store.ts';
import { SqlSettlementStore } from '../../adapters/store/settlement-store.ts';
import { SqlSettlementOnchainStore } from '../../adapters/store/settlement-onchain-store.ts';
import { trackAllEscrows } from '../../app/settlement/escrow.ts';
import type { VaultStore } from '../../core/vault/vault-store.ts';
import { parseTrustProxy, type TrustProxySetting } from '../../adapters/config/load-config.ts';

/** Whether `host` is a loopback address (only this machine can connect). */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || /^(0{0,4}:){1,7}:?0{0,3}1$/.test(h) || /^::ffff:127\./.test(h);
  return false;
}

/**
 * The warning `serve` prints on stderr before listening anywhere but loopback, or null. Plain
 * HTTP on a reachable address sends API tokens in the clear; docs/deployment.md has the TLS setup.
 */
export function exposureWarning(host: string, trustProxy: TrustProxySetting): string | null {
  if (isLoopbackHost(host)) return null;
  const lines = [
    `WARNING: serving on ${host}, which is not a loopback address: the API, and every API token sent to it, travel without TLS to anyone who can reach this port.`,
    'Keep --host 127.0.0.1 and put a TLS reverse proxy in front (see docs/deployment.md).',
  ];
  if (trustProxy === true || typeof trustProxy === 'number') {
    lines.push(`With --trust-proxy ${String(trustProxy)}, a client that reaches this port directly can claim any address in X-Forwarded-For; trust the proxy's address instead (--trust-proxy <address>).`);
  }
  return lines.join('\n');
}

function trustProxyOption(v: string): TrustProxySetting {
  try {
    return parseTrustProxy(v, '--trust-proxy');
  } catch (e) {
    if (isDomainError(e)) throw new InvalidArgumentError(e.message);
    throw e;
  }
}

/** `--follow` seconds, or null for `--no-follow`. */
export function followSeconds(v: string | false): number | null {
  if (v === false) return null;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 86_400) throw new DomainError('INVALID_ARGUMENT', `--follow must be a whole number of seconds from 1 to 86400, got "${v}"`);
  return n;
}

export function register(program: Command): void {
  program
    .command('serve')
    .description('serve the HTTP API (/api/v1) and the transparency dashboard')
    .option('--port <port>', 'TCP port (0 picks a free one)', parsePort, 8080)
    .option('--host <host>', 'address to listen on; keep 127.0.0.1 unless a TLS proxy is in front', '127.0.0.1')
    .option('--trust-proxy <proxies>', 'take the client address from X-Forwarded-For set by: the proxy\'s address(es)/CIDRs (127.0.0.1), a hop count (1) or true; off by default (also SOBERANA_TRUST_PROXY, config "server.trustProxy")', trustProxyOption)
    .option('--no-dashboard', 'serve the API only')
    .option('--follow <seconds>', 'sync with the configured chain source every so many seconds in the background, and push live updates to the dashboard', '10')
    .option('--no-follow', 'do not sync in the background (then run "soberana sync" from cron)')
    .addHelpText('after', '\nExamples:\n  $ soberana serve\n  $ soberana serve --port 9000 --db ./reserve.db\n  $ soberana serve --trust-proxy 127.0.0.1      # behind nginx or Caddy on this machine\n  $ curl http://127.0.0.1:8080/api/v1/public/summary\n\nBehind a TLS reverse proxy: see docs/deployment.md.')
    .action(
      action(async (ctx, opts: { port: number; host: string; dashboard: boolean; trustProxy?: TrustProxySetting; follow: string | false }) => {
        const cfg = ctx.config();
        const trustProxy = opts.trustProxy ?? cfg.server.trustProxy;
        const warning = exposureWarning(opts.host, trustProxy);
        if (warning) process.stderr.write(`soberana serve: ${warning.replace(/\n/g, '\nsoberana serve: ')}\n`);
        const db = await ctx.db();
        const base = await serverDepsFor(db, cfg.network, { dashboard: opts.dashboard, logLevel: cfg.logLevel, prices: cfg.prices, webauthn: cfg.server.webauthn });
        // rate limits are always on for `serve`: the defaults, or the config file's values over them
        const follow = followSeconds(opts.follow);
        const chain = follow !== null && cfg.chain ? await openChainSource(cfg.chain) : null;
        const live = chain ? new LiveHub() : undefined;
        const deps = { ...base, trustProxy, rateLimit: { ...DEFAULT_RATE_LIMITS, ...cfg.server.rateLimit }, ...(live ? { live } : {}), ...(cfg.explorer !== undefined ? { explorerUrl: cfg.explorer } : {}) };
        const webRoot = deps.webRoot ?? null;
        const { app, url } = await startServer(deps, { port: opts.port, host: opts.host });
        const follower = chain && live && follow !== null && deps.vaults ? startLiveSync({ chain, store: deps.vaults, ...(deps.governance ? { spends: deps.governance.spends } : {}), compliance: new SqlComplianceStore(db), escrows: () => trackAllEscrows({ spends: new SqlSpendStore(db), vaults: deps.vaults as VaultStore, now: () => Date.now(), network: cfg.network, onchain: new SqlSettlementOnchainStore(db), cycles: new SqlSettlementStore(db) }), network: cfg.network, hub: live, intervalMs: follow * 1000, log: (l) => process.stderr.write(`soberana serve: ${l}\n`) }) : null;
        ctx.out({ url, api: `${url}api/v1/`, openapi: `${url}api/v1/openapi.json`, dashboard: webRoot ? url : null }, () =>
          [`Soberana is serving ${webRoot ? `the dashboard at ${url}` : 'the API'}`, `API: ${url}api/v1/  (OpenAPI: ${url}api/v1/openapi.json)`, follower ? `Following the chain every ${follow} s (live updates at ${url}api/v1/public/events).` : 'Not following the chain: run "soberana sync" to bring the vaults up to date.', 'Press Ctrl+C to stop.'].join('\n'),
        );
        await new Promise<void>((resolve) => {
          const stop = (): void => {
            process.off('SIGINT', stop);
            process.off('SIGTERM', stop);
            void (follower?.stop() ?? Promise.resolve())
              .then(() => app.close())
              .then(() => chain?.close())
              .then(resolve, resolve);
          };
          process.on('SIGINT', stop);
          process.on('SIGTERM', stop);
        });
      }),
    );
}
