// Builds bench/adapters/dist/FRAMEWORK-handwritten.mjs: a server bundle per example app whose
// render is written by hand (handwritten/), with the app's own bundler and settings, to compare
// with the app's dist/server.mjs, which renders the same components through its adapter.
// Each entry is copied into the app's node_modules/.ssrd-bench/ for the build, so that its bare
// imports resolve to the app's framework, as the app's own entry's do.
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const examples = join(here, '..', '..', 'examples');
const dist = join(here, 'dist');
mkdirSync(dist, { recursive: true });

const fromApp = async (app, specifier) =>
  import(pathToFileURL(createRequire(join(app, 'package.json')).resolve(specifier)).href);

for (const [framework, file] of [['react', 'react.jsx'], ['preact', 'preact.jsx'], ['vue', 'vue.js'], ['svelte', 'svelte.js']]) {
  const app = join(examples, `${framework}-app`);
  const work = join(app, 'node_modules', '.ssrd-bench');
  mkdirSync(work, { recursive: true });
  const entry = join(work, file);
  writeFileSync(entry, readFileSync(join(here, 'handwritten', file), 'utf8').replaceAll('__APP__', app));
  const outfile = join(dist, `${framework}-handwritten.mjs`);
  if (framework === 'react' || framework === 'preact') {
    const { build } = await fromApp(app, 'esbuild');
    await build({
      entryPoints: [entry], outfile, bundle: true, format: 'esm', platform: 'neutral',
      mainFields: ['module', 'main'], conditions: ['worker', 'browser'], target: 'es2020',
      jsx: 'automatic', jsxImportSource: framework, preserveSymlinks: true, logLevel: 'warning',
      define: { 'process.env.NODE_ENV': '"production"' },
    });
  } else {
    const { build } = await fromApp(app, 'vite');
    const plugin = framework === 'vue'
      ? (await fromApp(app, '@vitejs/plugin-vue')).default()
      : (await fromApp(app, '@sveltejs/vite-plugin-svelte')).svelte();
    await build({
      root: app, configFile: false, logLevel: 'warn', mode: 'production', plugins: [plugin],
      resolve: { preserveSymlinks: true },
      define: { 'process.env.NODE_ENV': '"production"' },
      ssr: { target: 'webworker', noExternal: true, resolve: { conditions: ['worker', 'svelte', 'module', 'browser', 'production'] } },
      build: {
        ssr: entry, outDir: dist, emptyOutDir: false, minify: false, target: 'es2020',
        rolldownOptions: { external: ['node:async_hooks'], output: { entryFileNames: `${framework}-handwritten.mjs`, format: 'es' } },
      },
    });
  }
  rmSync(work, { recursive: true, force: true });
  console.log(`${outfile}`);
}
