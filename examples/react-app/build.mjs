// Builds the bundles with esbuild's JS API:
//   dist/server.mjs  ESM for the ssrd worker: bare V8, no Node builtins.
//   dist/server.stream.mjs   the same with the adapter's stream option (streamed renders).
//   dist/client.js   browser IIFE that hydrates the server markup.
//   dist/client.dev.js   the same in development mode (React's hydration warnings are on).
import { build } from 'esbuild';
import { mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));
const dist = join(root, 'dist');

const common = {
  absWorkingDir: root,
  bundle: true,
  jsx: 'automatic',
  define: { 'process.env.NODE_ENV': '"production"' },
  logLevel: 'warning',
  // @ssrd/react is a link to adapters/react: resolve its imports of react from here, so that
  // the bundle holds one React, not a second copy from adapters/node_modules.
  preserveSymlinks: true,
};

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });

// The whole-page server bundle, and the streaming one (the same components with the adapter's
// stream option) that tests/examples streams through the daemon.
for (const [entry, outfile] of [['src/server.jsx', 'dist/server.mjs'], ['src/server.stream.jsx', 'dist/server.stream.mjs']]) {
  await build({
    ...common,
    entryPoints: [entry],
    outfile,
    format: 'esm',
    // Neutral: no Node builtins, no browser globals assumed. The browser
    // conditions pick the web builds of packages that offer several.
    platform: 'neutral',
    mainFields: ['module', 'main'],
    conditions: ['worker', 'browser'],
    target: 'es2020',
    minify: false,
  });
}

await build({
  ...common,
  entryPoints: ['src/client.jsx'],
  outfile: 'dist/client.js',
  format: 'iife',
  platform: 'browser',
  target: 'es2020',
  minify: true,
});

await build({
  ...common,
  define: { 'process.env.NODE_ENV': '"development"' },
  entryPoints: ['src/client.jsx'],
  outfile: 'dist/client.dev.js',
  format: 'iife',
  platform: 'browser',
  target: 'es2020',
});

// A bare require() would throw in the worker at load time; esbuild leaves one
// only for a module it could not bundle. (check.mjs runs the bundle in a bare
// context for the full test: plain greps for window/document also hit React's
// guarded feature tests and its inline-script strings.)
const server = readFileSync(join(dist, 'server.mjs'), 'utf8');
for (const pattern of [/\brequire\b/, /\bprocess\.env\b/]) {
  if (pattern.test(server)) {
    console.error(`dist/server.mjs still references ${pattern}: the worker has no such global`);
    process.exit(1);
  }
}

for (const file of ['server.mjs', 'server.stream.mjs', 'client.js', 'client.dev.js']) {
  const bytes = statSync(join(dist, file)).size;
  console.log(`dist/${file} ${(bytes / 1024).toFixed(1)} KiB (${bytes} bytes)`);
}
