// Copies adapters/shared/*.js into every package's src/shared/ and shared/*.d.ts into its root:
// the packages depend on nothing but their framework, so each carries its own copy. test/shared.test.mjs fails when a copy
// has drifted from the canonical file.
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const PACKAGES = ['react', 'vue', 'svelte', 'preact'];
// [file in shared/, its place in a package]
export const SHARED = readdirSync(join(root, 'shared')).map((file) => [file, file.endsWith('.d.ts') ? file : join('src', 'shared', file)]);

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const pkg of PACKAGES) {
    mkdirSync(join(root, pkg, 'src', 'shared'), { recursive: true });
    for (const [file, target] of SHARED) copyFileSync(join(root, 'shared', file), join(root, pkg, target));
  }
  console.log(`copied ${SHARED.map(([file]) => file).join(', ')} into ${PACKAGES.length} packages`);
}
