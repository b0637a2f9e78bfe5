// Bundles each library's server entry (src/NAME/server.*) into OUT_DIR/NAME.mjs, plainly, the
// way docs/writing-the-bundle.md tells an application to: one ES module, web builds of the
// packages, NODE_ENV replaced. Svelte components are compiled by svelte/compiler (a ten-line
// plugin: esbuild has no Svelte loader). Nothing is shimmed: the bundles must run unmodified in
// the worker and in Node.
//   node build.mjs OUT_DIR
import { readFile, readdir } from 'node:fs/promises';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { compile } from 'svelte/compiler';

const here = dirname(fileURLToPath(import.meta.url));
const out = process.argv[2];
if (!out) {
  console.error('usage: node build.mjs OUT_DIR');
  process.exit(2);
}

const svelte = {
  name: 'svelte',
  setup(b) {
    b.onLoad({ filter: /\.svelte$/ }, async ({ path }) => {
      const source = await readFile(path, 'utf8');
      const { js } = compile(source, { filename: path, generate: 'server', experimental: { async: true } });
      return { contents: js.code, loader: 'js', resolveDir: dirname(path) };
    });
  },
};

// styled-components' web build cannot render on a server (it writes its rules into DOM <style>
// elements), and its server build requires Node's "stream" inside the one function that
// streams to a Node stream: left external, that require is never reached.
const overrides = { 'styled-components': { external: ['node:async_hooks', 'stream'] } };

const names = (await readdir(join(here, 'src'), { withFileTypes: true }))
  .filter((d) => d.isDirectory()).map((d) => d.name).sort();
for (const name of names) {
  const files = await readdir(join(here, 'src', name));
  const entry = files.find((f) => /^server\.(jsx?|mjs)$/.test(f));
  await build({
    entryPoints: [join(here, 'src', name, entry)],
    outfile: join(out, `${name}.mjs`),
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    conditions: ['worker', 'svelte', 'browser'],
    external: ['node:async_hooks'],
    define: { 'process.env.NODE_ENV': '"production"' },
    jsx: 'automatic',
    jsxImportSource: name.startsWith('preact') ? 'preact' : 'react',
    plugins: [svelte],
    logLevel: 'warning',
    ...overrides[name],
  });
}
