// Builds the two bundles with esbuild's JS API:
//   dist/server.mjs  ESM for the ssrd worker: bare V8, no Node builtins.
//   dist/client.js   browser IIFE that hydrates the server markup.
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
};

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });

await build({
  ...common,
  entryPoints: ['src/server.jsx'],
  outfile: 'dist/server.mjs',
  format: 'esm',
  // Neutral: no Node builtins, no browser globals assumed. The browser
  // conditions pick the web builds of packages that offer several.
  platform: 'neutral',
  mainFields: ['module', 'main'],
  conditions: ['worker', 'browser'],
  target: 'es2020',
  minify: false,
});

await build({
  ...common,
  entryPoints: ['src/client.jsx'],
  outfile: 'dist/client.js',
  format: 'iife',
  platform: 'browser',
  target: 'es2020',
  minify: true,
});

// The worker has none of these; a bundle that names them at top level would
// fail to load there, long after this build "succeeded".
const server = readFileSync(join(dist, 'server.mjs'), 'utf8');
const forbidden = [/\brequire\(/, /\bprocess\./, /\bBuffer\b/, /\bwindow\./, /\bdocument\./];
const found = forbidden.filter((pattern) => pattern.test(server));
if (found.length > 0) {
  console.error(`dist/server.mjs references what the worker lacks: ${found.join(', ')}`);
  process.exit(1);
}

for (const file of ['server.mjs', 'client.js']) {
  const bytes = statSync(join(dist, file)).size;
  console.log(`dist/${file} ${(bytes / 1024).toFixed(1)} KiB (${bytes} bytes)`);
}
