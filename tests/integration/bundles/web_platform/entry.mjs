// A bundle that loads only with the worker's web platform (issue 12): a router that parses URLs
// at the top level, a data layer that aborts and builds Responses, a lazy chunk, a request
// store in AsyncLocalStorage, and a footer streamed through a TextEncoderStream into a Response.
import { AsyncLocalStorage } from 'node:async_hooks';

const routes = [new URL('/products/:id', 'https://shop.example'), new URL('/about', 'https://shop.example')];
const requestStore = new AsyncLocalStorage();

async function loadData(id) {
  const controller = new AbortController();
  const response = Response.json({ id, name: 'Lamp ' + id }, { headers: { 'x-cache': 'hit' } });
  const data = await response.json();
  controller.abort();
  let network;
  try { await fetch('https://api.example/products/' + id, { signal: controller.signal }); } catch (e) {
    network = e.message.startsWith('fetch is not available in ssrd workers') ? 'refused' : e.message;
  }
  return { data, aborted: controller.signal.aborted, cache: response.headers.get('x-cache'), network };
}

async function footer(data) {
  const copy = structuredClone(data);
  const parts = new ReadableStream({ start(c) { c.enqueue('<footer>'); c.enqueue(copy.name); c.enqueue('</footer>'); c.close(); } });
  const html = await new Response(parts.pipeThrough(new TextEncoderStream())).text();
  return html + '<i>' + crypto.randomUUID().length + ' ' + btoa('ok') + '</i>';
}

export async function render({ component, props, url }) {
  const page = new URL(url || '/', 'https://shop.example');
  return requestStore.run({ path: page.pathname }, async () => {
    const { data, aborted, cache, network } = await loadData(props.id);
    const { badge } = await import('./chunks/badge.mjs');
    await new Promise((resolve) => setTimeout(resolve, 1));
    const q = new URLSearchParams(page.search);
    q.sort();
    return '<h1>' + data.name + '</h1>' + badge(requestStore.getStore().path) +
      '<p>' + [routes.length, q.toString(), aborted, cache, network].join(' ') + '</p>' + await footer(data);
  });
}
