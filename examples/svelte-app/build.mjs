// Builds the bundles with Vite's JS API:
//   dist/server.mjs      ESM for the ssrd worker: bare V8, no Node builtins, nothing external.
//   dist/server.stream.mjs   the same with the adapter's stream option (streamed renders).
//   dist/client.js       browser bundle (production) that hydrates the server markup.
//   dist/client.dev.js   the same in development mode: Svelte's hydration warnings are on.
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { build } from 'vite';

const root = dirname(fileURLToPath(import.meta.url));
rmSync(`${root}/dist`, { recursive: true, force: true });

const common = {
  root,
  configFile: false,
  logLevel: 'warn',
  plugins: [svelte()],
  // @ssrd/svelte is a link to adapters/svelte: resolve its imports of svelte from here (one Svelte).
  resolve: { preserveSymlinks: true },
};

// The whole-page server bundle, and the streaming one (the same components with the adapter's
// stream option) that tests/examples streams through the daemon.
for (const name of ['server', 'server.stream']) {
  await build({
    ...common,
    mode: 'production',
    define: { 'process.env.NODE_ENV': '"production"' },
    // webworker: everything bundled, as the worker has no Node. The "worker" condition comes
    // first: svelte maps it to its server runtime, where "browser" would give the client one.
    ssr: {
      target: 'webworker',
      noExternal: true,
      resolve: { conditions: ['worker', 'svelte', 'module', 'browser', 'production'] },
    },
    build: {
      ssr: `src/${name}.js`,
      outDir: 'dist',
      emptyOutDir: false,
      minify: false,
      target: 'es2020',
      // Svelte's asynchronous SSR imports node:async_hooks on demand, which the worker provides.
      rolldownOptions: { external: ['node:async_hooks'], output: { entryFileNames: `${name}.mjs`, format: 'es' } },
    },
  });
}

for (const mode of ['production', 'development']) {
  await build({
    ...common,
    mode,
    define: { 'process.env.NODE_ENV': JSON.stringify(mode) },
    build: {
      outDir: 'dist',
      emptyOutDir: false,
      copyPublicDir: false,
      minify: mode === 'production',
      target: 'es2020',
      lib: false,
      rolldownOptions: {
        input: 'src/client.js',
        output: { entryFileNames: mode === 'production' ? 'client.js' : 'client.dev.js', format: 'iife' },
      },
    },
  });
}
