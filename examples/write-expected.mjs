// Regenerates APP_DIR/expected/NAME.html and NAME.head.html for every case of
// expected/cases.json from the built bundle under plain Node. When the app has a streaming
// bundle (dist/server.stream.mjs), its pages for the same cases must be those very files (the
// stream's chunks joined; the head read after it ended, as the daemon reads it), and the cases of
// expected/stream-cases.json (pages that only stream, such as a Suspense boundary waiting for its
// data) are written from it. check-bundle.mjs (Node, bare context) and tests/examples (the ssrd
// daemon) compare against these files, so run this only when a change to the app is meant to
// change its markup, and say so in the commit.
// Run: node write-expected.mjs APP_DIR   (npm run expected in an app)
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readStream } from './read-stream.mjs';

const root = resolve(process.argv[2] ?? '.');
const expected = (name) => join(root, 'expected', name);
const readCases = (file) => (existsSync(expected(file)) ? JSON.parse(readFileSync(expected(file), 'utf8')) : []);

async function renderCases(bundle, cases) {
  const { render } = await import(pathToFileURL(join(root, 'dist', bundle)).href);
  const pages = [];
  for (const c of cases) {
    const props = JSON.parse(readFileSync(expected(`${c.name}.props.json`), 'utf8'));
    const reply = await render({ component: c.component, props, url: c.url ?? '/' });
    const html = typeof reply.html === 'string' ? reply.html : (await readStream(reply.html)).join('');
    if (reply.status !== c.status) throw new Error(`${c.name}: status ${reply.status} from ${bundle}, the cases say ${c.status}`);
    pages.push({ name: c.name, html, head: reply.head });
  }
  return pages;
}

function write({ name, html, head }) {
  writeFileSync(expected(`${name}.html`), html);
  writeFileSync(expected(`${name}.head.html`), head);
  console.log(`expected/${name}.html ${html.length} chars, head ${head.length} chars`);
}

const cases = readCases('cases.json');
const pages = await renderCases('server.mjs', cases);
pages.forEach(write);
if (existsSync(join(root, 'dist', 'server.stream.mjs'))) {
  const streamed = await renderCases('server.stream.mjs', cases);
  for (const [i, page] of streamed.entries()) {
    if (page.html !== pages[i].html || page.head !== pages[i].head) {
      throw new Error(`${page.name}: dist/server.stream.mjs renders another page than dist/server.mjs`);
    }
  }
  console.log(`dist/server.stream.mjs renders the ${streamed.length} cases' pages byte for byte`);
  (await renderCases('server.stream.mjs', readCases('stream-cases.json'))).forEach(write);
}
process.exit(0);
