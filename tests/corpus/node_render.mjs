// Renders one corpus bundle in Node 20 with the requests of cases.json and prints what the
// daemon must answer, as JSON: {"rounds": [{request key: reply}, …], "fresh": {request key:
// reply}}, a reply being {html, head, status, hydration}, where hydration is the text the daemon
// writes into its hydration <script> (docs/protocol.md, "Hydration").
// - rounds: every request in order, twice, in one module instance, as one worker with a reused
//   context answers them (the second round sees what the first left in the module's state);
// - fresh: each request alone in a module instance of its own, as --isolation fresh answers it.
// A case marked "stream" is two requests (key "NAME (stream)", then "NAME"): the daemon is
// asked for it as a stream and whole.
//   node node_render.mjs BUNDLE.mjs NAME
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const [bundle, name] = process.argv.slice(2);
const { cases } = JSON.parse(readFileSync(join(here, 'cases.json'), 'utf8'))[name];
const requests = cases.flatMap((c) => (c.stream ? [{ ...c, key: `${c.name} (stream)` }, { ...c, key: c.name }] : [{ ...c, key: c.name }]));
const url = pathToFileURL(bundle).href;

// A stream or an async iterable of strings or bytes, read to its end as the worker does.
async function text(html) {
  if (typeof html === 'string') return html;
  const decoder = new TextDecoder();
  let out = '';
  for await (const chunk of html) out += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
  return out + decoder.decode();
}

const escapes = { '<': '\\u003c', '>': '\\u003e', '&': '\\u0026', '\u2028': '\\u2028', '\u2029': '\\u2029' };

async function answer(render, c) {
  const component = c.component ?? 'Page';
  // Each request gets its own copy of the props, as each of the daemon's does; the hydration
  // data holds them as they were before render ran.
  const props = structuredClone(c.props);
  let result = await render({ component, props: structuredClone(c.props), url: c.url ?? '/' });
  if (typeof result === 'string' || result?.[Symbol.asyncIterator] || typeof result?.getReader === 'function') {
    result = { html: result };
  }
  const payload = { component, props };
  if (result.data !== undefined) payload.data = result.data;
  return {
    html: await text(result.html),
    head: result.head ?? '',
    status: result.status ?? 200,
    hydration: JSON.stringify(payload).replace(/[<>&\u2028\u2029]/g, (ch) => escapes[ch]),
  };
}

const { render } = await import(url);
const rounds = [];
for (let round = 0; round < 2; round++) {
  const replies = {};
  for (const c of requests) replies[c.key] = await answer(render, c);
  rounds.push(replies);
}
const fresh = {};
for (const [i, c] of requests.entries()) {
  // Another URL is another module instance: the bundle evaluated anew.
  const module = await import(`${url}?fresh=${i}`);
  fresh[c.key] = await answer(module.render, c);
}
process.stdout.write(JSON.stringify({ rounds, fresh }));
// React's scheduler keeps a MessageChannel open, which would keep Node running.
process.exit(0);
