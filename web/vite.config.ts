// Vite build of the dashboard: plain TypeScript + DOM, no framework. `soberana serve` builds it
// on first start when web/dist is missing (src/server/web-build.ts).
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  logLevel: 'warn',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // no inline scripts or styles: the server's Content-Security-Policy forbids them
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
});
