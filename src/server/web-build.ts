/**
 * The dashboard's built files. A clean clone has no `web/dist`: the first start builds it with
 * Vite's JavaScript API into a temporary folder and renames it into place, so two servers starting
 * at once never serve a half-written build.
 */
import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const WEB_DIR = join(import.meta.dirname, '..', '..', 'web');
export const WEB_DIST = join(WEB_DIR, 'dist');

/** Newest modification time (ms) of the dashboard's sources: web/ without dist and node_modules. */
function newestSource(dir = WEB_DIR): number {
  if (!existsSync(dir)) return 0; // an installed package has no sources: its web/dist is what it ships
  const top = statSync(dir);
  if (!top.isDirectory()) return top.mtimeMs;
  let newest = 0;
  for (const name of readdirSync(dir)) {
    if (name === 'dist' || name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    const st = statSync(p);
    newest = Math.max(newest, st.isDirectory() ? newestSource(p) : st.mtimeMs);
  }
  return newest;
}

/** The dashboard's sources and the core code it imports (display escaping). */
function newestInputs(): number {
  // the dashboard imports a few pure core modules (display text, the public view's types and helpers)
  return Math.max(newestSource(), newestSource(join(WEB_DIR, '..', 'src', 'core', 'text')), newestSource(join(WEB_DIR, '..', 'src', 'core', 'transparency')), newestSource(join(WEB_DIR, '..', 'src', 'core', 'money.ts')), newestSource(join(WEB_DIR, '..', 'src', 'core', 'settlement', 'rates.ts')), newestSource(join(WEB_DIR, '..', 'src', 'core', 'errors.ts')));
}

/** Build `web/dist` if it is missing or older than the dashboard's sources; resolves to its path. */
export async function ensureWebBuilt(opts: { force?: boolean } = {}): Promise<string> {
  const index = join(WEB_DIST, 'index.html');
  if (!opts.force && existsSync(index) && statSync(index).mtimeMs >= newestInputs()) return WEB_DIST;
  const tmp = join(WEB_DIR, `.dist-${process.pid}-${Date.now()}`);
  const { build } = await import('vite');
  try {
    await build({ configFile: join(WEB_DIR, 'vite.config.ts'), logLevel: 'warn', build: { outDir: tmp, emptyOutDir: true } });
    const fresh = (): boolean => existsSync(index) && statSync(index).mtimeMs >= newestInputs();
    // Another process may have put a fresh build in place meanwhile: keep it (it may be serving).
    if (!opts.force && fresh()) return WEB_DIST;
    rmSync(WEB_DIST, { recursive: true, force: true }); // stale or forced
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
