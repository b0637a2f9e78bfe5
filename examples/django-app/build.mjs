// Writes dist/: the router (src/server.mjs) as dist/server.mjs and each example app's built
// server bundles (whole-page and streaming) beside it. scripts/build runs this after the apps' own builds.
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));
const dist = join(root, 'dist');
const apps = ['react', 'vue', 'svelte', 'preact'];

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist);
for (const app of apps) {
  for (const [file, copy] of [['server.mjs', `${app}.mjs`], ['server.stream.mjs', `${app}.stream.mjs`]]) {
    const bundle = join(root, '..', `${app}-app`, 'dist', file);
    if (!existsSync(bundle)) {
      console.error(`${bundle} is missing: build examples/${app}-app first (scripts/build does)`);
      process.exit(1);
    }
    copyFileSync(bundle, join(dist, copy));
  }
}
copyFileSync(join(root, 'src', 'server.mjs'), join(dist, 'server.mjs'));
console.log(`dist/server.mjs routes to ${apps.map((a) => `dist/${a}.mjs`).join(', ')} and their .stream.mjs`);
