// Writes the source-mapped test bundles from src/ with esbuild (the version pinned by
// isolates/web/package-lock.json). The output is committed, so the tests' expected positions do
// not move with esbuild; run `node tests/isolates/bundles/mapped/build.mjs` after changing src/.
//   dist/single/bundle.mjs    one minified file; bundle.mjs.map beside it, named by its comment
//   dist/split/entry.mjs      code-split: entry, the lazily imported panel, a shared chunk, each
//                             with its own .map and comment
//   dist/external/bundle.mjs  not minified; bundle.mjs.map beside it and no comment
import { createRequire } from 'node:module';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, '../../../../isolates/web/package.json'));
const { build } = require('esbuild');

const common = {
  absWorkingDir: here,
  entryPoints: ['src/entry.js'],
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2020',
  logLevel: 'warning',
};

rmSync(join(here, 'dist'), { recursive: true, force: true });
await build({ ...common, outfile: 'dist/single/bundle.mjs', minify: true, sourcemap: true });
await build({
  ...common,
  outdir: 'dist/split',
  splitting: true,
  outExtension: { '.js': '.mjs' },
  entryNames: '[name]',
  chunkNames: 'chunks/[name]-[hash]',
  sourcemap: true,
});
await build({ ...common, outfile: 'dist/external/bundle.mjs', sourcemap: 'external' });
