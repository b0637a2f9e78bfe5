// Regenerates APP_DIR/expected/NAME.html and NAME.head.html for every case of
// expected/cases.json from the built bundle under plain Node. check-bundle.mjs (Node, bare
// context) and tests/examples (the ssrd daemon) compare against these files, so run this only
// when a change to the app is meant to change its markup, and say so in the commit.
// Run: node write-expected.mjs APP_DIR   (npm run expected in an app)
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = resolve(process.argv[2] ?? '.');
const cases = JSON.parse(readFileSync(join(root, 'expected', 'cases.json'), 'utf8'));
const { render } = await import(pathToFileURL(join(root, 'dist', 'server.mjs')).href);
for (const c of cases) {
  const props = JSON.parse(readFileSync(join(root, 'expected', `${c.name}.props.json`), 'utf8'));
  const reply = await render({ component: c.component, props, url: c.url ?? '/' });
  if (reply.status !== c.status) throw new Error(`${c.name}: status ${reply.status}, cases.json says ${c.status}`);
  writeFileSync(join(root, 'expected', `${c.name}.html`), reply.html);
  writeFileSync(join(root, 'expected', `${c.name}.head.html`), reply.head);
  console.log(`expected/${c.name}.html ${reply.html.length} chars, head ${reply.head.length} chars`);
}
process.exit(0);
