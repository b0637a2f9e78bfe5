// Each package carries a copy of adapters/shared/ (they depend on nothing but their framework):
// the copies must be the canonical files. After changing shared/, run npm run sync-shared.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { PACKAGES, SHARED } from '../scripts/sync-shared.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));

test('every package holds the current shared files', () => {
  for (const pkg of PACKAGES) {
    for (const [file, target] of SHARED) {
      const canonical = readFileSync(join(root, 'shared', file), 'utf8');
      assert.equal(readFileSync(join(root, pkg, target), 'utf8'), canonical, `${pkg}/${target} differs from shared/${file}`);
    }
  }
});
