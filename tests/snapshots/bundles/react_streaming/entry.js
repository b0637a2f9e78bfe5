// A page rendered by React's streaming renderer (renderToReadableStream, react-dom/server.browser)
// with a Suspense boundary whose data arrives only once the first chunk has been read: a renderer
// that waited for the data before sending anything would never finish. render() reads the whole
// stream and returns whether that first chunk held the shell with the fallback, then the HTML.
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
  let release;
  const pending = new Promise((resolve) => { release = resolve; });
  const stream = await renderToReadableStream(h(Page, { name: props.name, pending }));
  const decoder = new TextDecoder();
  let html = '';
  let shellFirst = null;
  for await (const chunk of stream) {
    html += decoder.decode(chunk, { stream: true });
    if (shellFirst === null) {
      shellFirst = html.includes('Loading price') && !html.includes('Price: ');
      setTimeout(() => release(props.price), 1);
    }
  }
  html += decoder.decode();
  return 'shell before the data: ' + shellFirst + '\n' + html;
}
