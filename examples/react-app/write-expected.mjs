// Regenerates expected/*.html from the built bundle under plain Node.
// The C++ worker tests compare the worker's output against these files, so run
// this only when a change to the app is meant to change the markup.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));
const { render } = await import(pathToFileURL(join(root, 'dist/server.mjs')).href);

for (const [component, base] of [['ProductPage', 'product-page'], ['Tiny', 'tiny']]) {
  const props = JSON.parse(readFileSync(join(root, 'expected', `${base}.props.json`), 'utf8'));
  const { html } = render({ component, props, url: '/' });
  writeFileSync(join(root, 'expected', `${base}.html`), html);
  console.log(`expected/${base}.html ${html.length} chars`);
}

// React's browser server build opens a MessageChannel at load time; its port
// keeps Node's event loop alive, so leave explicitly.
process.exit(0);
