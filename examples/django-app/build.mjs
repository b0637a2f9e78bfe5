// Writes dist/: the router (src/server.mjs) as dist/server.mjs and each example app's built
// server bundle beside it. scripts/build runs this after the apps' own builds.
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));
const dist = join(root, 'dist');
const apps = ['react', 'vue', 'svelte', 'preact'];

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist);
for (const app of apps) {
  const bundle = join(root, '..', `${app}-app`, 'dist', 'server.mjs');
  if (!existsSync(bundle)) {
    console.error(`${bundle} is missing: build examples/${app}-app first (scripts/build does)`);
    process.exit(1);
  }
  copyFileSync(bundle, join(dist, `${app}.mjs`));
}
copyFileSync(join(root, 'src', 'server.mjs'), join(dist, 'server.mjs'));
console.log(`dist/server.mjs routes to ${apps.map((a) => `dist/${a}.mjs`).join(', ')}`);
