// Renders every route of a code-split build in Node and writes what the daemon must answer, one
// line per route: "URL<TAB>STATUS<TAB>HTML" (the html has no tab or newline).
//   node node_render.mjs BUILD_DIR OUT.tsv
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const ROUTES = ['/', '/product', '/about', '/missing'];
const [dir, out] = process.argv.slice(2);
const { render } = await import(pathToFileURL(join(dir, 'entry.mjs')).href);
const decoder = new TextDecoder();
let lines = '';
for (const url of ROUTES) {
  const result = await render({ component: 'Page', props: {}, url });
  let html = '';
  if (typeof result.html === 'string') html = result.html;
  else for await (const chunk of result.html) html += decoder.decode(chunk, { stream: true });
  if (/[\t\n]/.test(html)) throw new Error(`${url}: the page has a tab or a newline`);
  lines += `${url}\t${result.status ?? 200}\t${html}\n`;
}
writeFileSync(out, lines);
process.exit(0);
