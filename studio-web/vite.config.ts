/**
 * The studio's front end, built by Vite into dist/studio-web (served by src/studio/server.ts).
 *
 * Preact rather than Svelte: its components are plain TSX, so the same TypeScript compiler
 * and ESLint that check the rest of ai-art check the page too (Svelte needs its own compiler,
 * language server and svelte-check); the runtime is ~4 kB; and Vite's built-in esbuild
 * handles its JSX, so no framework plugin is needed. Everything is bundled: no CDN, nothing
 * fetched from the network at run time.
 */
import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: './',
  logLevel: 'warn',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: fileURLToPath(new URL('../dist/studio-web', import.meta.url)),
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
    sourcemap: false,
  },
});
