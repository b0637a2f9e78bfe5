// Renders the built bundle in Node with the props the test uses and writes the page it streams:
//   node node_render.mjs BUNDLE.mjs OUT.html
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const [bundle, out] = process.argv.slice(2);
const { render } = await import(pathToFileURL(bundle).href);
const result = await render({ component: 'Page', props: { name: 'Lamp', price: '12 €', wait_ms: 5 }, url: '' });
const decoder = new TextDecoder();
let html = '';
for await (const chunk of result.html) html += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
html += decoder.decode();
writeFileSync(out, html);
// React's scheduler keeps a MessageChannel open, which would keep Node running.
process.exit(0);
