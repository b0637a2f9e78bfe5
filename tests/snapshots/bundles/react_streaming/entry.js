// A page rendered by React's streaming renderer (renderToReadableStream, react-dom/server.browser)
// with a Suspense boundary whose data arrives after the shell. render() reads the whole stream
// and returns what it saw: whether the shell's first chunk came before the data, then the HTML.
// Bundled by build.mjs (CMake, at build time) with the example app's React. For the props
// {name: "Lamp", price: "12 €"} the same bundle run in Node 20 gives expected.txt
// (isolates/web/test/react_streaming.test.mjs checks that), and so must a worker
// (tests/snapshots/react_streaming_test.cc).
import { Suspense, createElement as h, use } from 'react';
import { renderToReadableStream } from 'react-dom/server.browser';

function Price({ pending }) {
  const price = use(pending);
  return h('p', { className: 'price' }, 'Price: ', price);
}

function Page({ name, pending }) {
  return h('html', null,
    h('head', null, h('title', null, name)),
    h('body', null,
      h('h1', null, name),
      h(Suspense, { fallback: h('p', null, 'Loading price…') }, h(Price, { pending }))));
}

export async function render({ props }) {
  let dataArrived = false;
  const pending = new Promise((resolve) => setTimeout(() => { dataArrived = true; resolve(props.price); }, 5));
  const stream = await renderToReadableStream(h(Page, { name: props.name, pending }));
  const decoder = new TextDecoder();
  let html = '';
  let firstChunkBeforeData = null;
  let chunks = 0;
  for await (const chunk of stream) {
    if (chunks === 0) firstChunkBeforeData = !dataArrived;
    chunks += 1;
    html += decoder.decode(chunk, { stream: true });
  }
  html += decoder.decode();
  return 'first chunk before the data: ' + firstChunkBeforeData + '\nchunks > 1: ' + (chunks > 1) + '\n' + html;
}
