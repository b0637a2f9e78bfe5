// Bundles entry.js with the example app's esbuild and React (examples/react-app/node_modules):
//   node build.mjs OUT.mjs
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const app = join(here, '../../../../examples/react-app');
const { build } = createRequire(join(app, 'package.json'))('esbuild');
const out = process.argv[2];
if (!out) { console.error('usage: node build.mjs OUT.mjs'); process.exit(2); }
await build({
  entryPoints: [join(here, 'entry.js')],
  outfile: out,
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  mainFields: ['module', 'main'],
  conditions: ['worker', 'browser'],
  nodePaths: [join(app, 'node_modules')],
  define: { 'process.env.NODE_ENV': '"production"' },
  target: 'es2020',
  logLevel: 'warning',
});
