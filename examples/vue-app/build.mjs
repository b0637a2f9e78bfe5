// Builds the bundles with Vite's JS API:
//   dist/server.mjs      ESM for the ssrd worker: bare V8, no Node builtins, nothing external.
//   dist/server.stream.mjs   the same with the adapter's stream option (streamed renders).
//   dist/client.js       browser bundle (production) that hydrates the server markup.
//   dist/client.dev.js   the same in development mode: Vue's hydration warnings are on.
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import vue from '@vitejs/plugin-vue';
import { build } from 'vite';

const root = dirname(fileURLToPath(import.meta.url));
rmSync(`${root}/dist`, { recursive: true, force: true });

const common = {
  root,
  configFile: false,
  logLevel: 'warn',
  plugins: [vue()],
  // @ssrd/vue is a link to adapters/vue: resolve its imports of vue from here (one Vue).
  resolve: { preserveSymlinks: true },
};

// The whole-page server bundle, and the streaming one (the same components with the adapter's
// stream option) that tests/examples streams through the daemon.
for (const name of ['server', 'server.stream']) {
  await build({
    ...common,
    mode: 'production',
    define: { 'process.env.NODE_ENV': '"production"' },
    // webworker: everything bundled, and the "worker" export conditions, as the worker has no Node.
    ssr: { target: 'webworker', noExternal: true },
    build: {
      ssr: `src/${name}.js`,
      outDir: 'dist',
      emptyOutDir: false,
      minify: false,
      target: 'es2020',
      rolldownOptions: { output: { entryFileNames: `${name}.mjs`, format: 'es' } },
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
