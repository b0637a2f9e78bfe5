// Builds the bundles with esbuild's JS API:
//   dist/server.mjs      ESM for the ssrd worker: bare V8, no Node builtins.
//   dist/server.stream.mjs   the same with the adapter's stream option (streamed renders).
//   dist/client.js       browser IIFE (production) that hydrates the server markup.
//   dist/client.dev.js   the same in development mode: the adapter's mismatch check is on.
import { build } from 'esbuild';
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));
rmSync(join(root, 'dist'), { recursive: true, force: true });
mkdirSync(join(root, 'dist'));

const common = {
  absWorkingDir: root,
  bundle: true,
  jsx: 'automatic',
  jsxImportSource: 'preact',
  target: 'es2020',
  logLevel: 'warning',
  // @ssrd/preact is a link to adapters/preact: resolve its imports of preact from here (one Preact).
  preserveSymlinks: true,
};

// The whole-page server bundle, and the streaming one (the same components with the adapter's
// stream option) that tests/examples streams through the daemon.
for (const [entry, outfile] of [['src/server.js', 'dist/server.mjs'], ['src/server.stream.js', 'dist/server.stream.mjs']]) {
  await build({
    ...common,
    entryPoints: [entry],
    outfile,
    format: 'esm',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    conditions: ['worker', 'browser'],
    define: { 'process.env.NODE_ENV': '"production"' },
  });
}

for (const [mode, outfile] of [['production', 'dist/client.js'], ['development', 'dist/client.dev.js']]) {
  await build({
    ...common,
    entryPoints: ['src/client.js'],
    outfile,
    format: 'iife',
    platform: 'browser',
    minify: mode === 'production',
    define: { 'process.env.NODE_ENV': JSON.stringify(mode) },
  });
}
