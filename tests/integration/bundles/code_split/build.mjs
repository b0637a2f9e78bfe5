// A code-split server build of src/ by esbuild (--splitting, ES modules): entry.mjs in OUT_DIR,
// each lazily loaded module (the routes, and the details the routes load) and the code they
// share in chunks/. RELEASE is the text the details chunk holds, so two builds with different
// releases differ in that one nested chunk only.
//   node build.mjs OUT_DIR RELEASE
// esbuild and React come from the example app (examples/react-app/node_modules).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const app = join(here, '../../../../examples/react-app');
const { build } = createRequire(join(app, 'package.json'))('esbuild');
const [out, release] = process.argv.slice(2);
if (!out || !release) { console.error('usage: node build.mjs OUT_DIR RELEASE'); process.exit(2); }
await build({
  entryPoints: [join(here, 'src/entry.jsx')],
  outdir: out,
  entryNames: '[name]',
  // No hashes: a chunk keeps its name from one build to the next, so the two builds differ in
  // the changed chunk alone (with hashes, every importer's name and bytes would change too).
  // Every module uses React (memo), so that React and its JSX runtime share one chunk, which
  // esbuild then names chunks/chunk.mjs.
  chunkNames: 'chunks/[name]',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'neutral',
  mainFields: ['module', 'main'],
  conditions: ['worker', 'browser'],
  nodePaths: [join(app, 'node_modules')],
  define: { 'process.env.NODE_ENV': '"production"', RELEASE: JSON.stringify(release) },
  jsx: 'automatic',
  logLevel: 'warning',
});
