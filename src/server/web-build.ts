/**
 * The dashboard's built files. A clean clone has no `web/dist`: the first start builds it with
 * Vite's JavaScript API into a temporary folder and renames it into place, so two servers starting
 * at once never serve a half-written build.
 */
import { existsSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export const WEB_DIR = join(import.meta.dirname, '..', '..', 'web');
export const WEB_DIST = join(WEB_DIR, 'dist');

/** Build `web/dist` if it is missing; resolves to its path. */
export async function ensureWebBuilt(opts: { force?: boolean } = {}): Promise<string> {
  if (!opts.force && existsSync(join(WEB_DIST, 'index.html'))) return WEB_DIST;
  const tmp = join(WEB_DIR, `.dist-${process.pid}-${Date.now()}`);
  const { build } = await import('vite');
  try {
    await build({ configFile: join(WEB_DIR, 'vite.config.ts'), logLevel: 'warn', build: { outDir: tmp, emptyOutDir: true } });
    if (opts.force) rmSync(WEB_DIST, { recursive: true, force: true });
    try {
      renameSync(tmp, WEB_DIST);
    } catch (e) {
      // another process won the race and its build is in place: use it
      if (!existsSync(join(WEB_DIST, 'index.html'))) throw e;
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return WEB_DIST;
}
