// A page streamed by React's renderToReadableStream (react-dom/server.browser), returned to ssrd
// as a stream: the shell (with the Suspense fallback) first, the price once its data arrives
// `wait_ms` later (a timer). Bundled by build.mjs at build time with the example app's React;
// tests/integration/react_streaming_test.cc streams it through the daemon, and node_render.mjs
// renders the same bundle in Node for the byte-for-byte comparison.
import { Suspense, createElement as h, use } from 'react';
import { renderToReadableStream } from 'react-dom/server.browser';

function Price({ pending }) {
  return h('p', { className: 'price' }, 'Price: ', use(pending));
}

function Page({ name, pending }) {
  return h('html', null,
    h('head', null, h('title', null, name)),
    h('body', null,
      h('h1', null, name),
      h(Suspense, { fallback: h('p', null, 'Loading price…') }, h(Price, { pending }))));
}

export async function render({ props }) {
  const pending = new Promise((resolve) => setTimeout(() => resolve(props.price), props.wait_ms));
  const html = await renderToReadableStream(h(Page, { name: props.name, pending }));
  return { html, status: 200, data: { name: props.name } };
}
