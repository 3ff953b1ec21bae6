import type { Command } from 'commander';
import { parsePort } from '../options.ts';
import { action } from '../context.ts';
import { startServer } from '../../server/app.ts';
import { serverDepsFor } from '../../server/database-deps.ts';


export function register(program: Command): void {
  program
    .command('serve')
    .description('serve the HTTP API (/api/v1) and the transparency dashboard')
    .option('--port <port>', 'TCP port (0 picks a free one)', parsePort, 8080)
    .option('--host <host>', 'address to listen on; keep 127.0.0.1 unless a TLS proxy is in front', '127.0.0.1')
    .option('--no-dashboard', 'serve the API only')
    .addHelpText('after', '\nExamples:\n  $ soberana serve\n  $ soberana serve --port 9000 --db ./reserve.db\n  $ curl http://127.0.0.1:8080/api/v1/public/summary')
    .action(
      action(async (ctx, opts: { port: number; host: string; dashboard: boolean }) => {
        const cfg = ctx.config();
        const db = await ctx.db();
        const deps = await serverDepsFor(db, cfg.network, { dashboard: opts.dashboard, logLevel: cfg.logLevel });
        const webRoot = deps.webRoot ?? null;
        const { app, url } = await startServer(deps, { port: opts.port, host: opts.host });
        ctx.out({ url, api: `${url}api/v1/`, openapi: `${url}api/v1/openapi.json`, dashboard: webRoot ? url : null }, () =>
          [`Soberana is serving ${webRoot ? `the dashboard at ${url}` : 'the API'}`, `API: ${url}api/v1/  (OpenAPI: ${url}api/v1/openapi.json)`, 'Press Ctrl+C to stop.'].join('\n'),
        );
        await new Promise<void>((resolve) => {
          const stop = (): void => {
            process.off('SIGINT', stop);
            process.off('SIGTERM', stop);
            void app.close().then(resolve, resolve);
          };
          process.on('SIGINT', stop);
          process.on('SIGTERM', stop);
        });
      }),
    );
}
