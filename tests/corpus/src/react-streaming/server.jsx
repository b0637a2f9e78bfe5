// React's streaming renderer with Suspense: the shell and the fallbacks first, then each
// boundary's content with React's inline script that swaps it in, as its data arrives (the
// stock, the reviews, then data that fails, which React leaves to the client with its digest).
// The data is paced by the stream itself: each step's data arrives wait_ms after the first chunk
// that follows the previous step, so every boundary completes in a flush of its own whatever the
// machine's load, and the page is the same wherever it is read.
import { Suspense, use } from 'react';
import { renderToReadableStream } from 'react-dom/server';

function Reviews({ promise }) {
  const reviews = use(promise);
  return <ul>{reviews.map((r) => <li key={r.id}>{r.text} ({r.stars}★)</li>)}</ul>;
}

function Stock({ promise }) {
  return <p>in stock: {use(promise)}</p>;
}

function gate() {
  let open;
  const promise = new Promise((resolve) => { open = resolve; });
  return { promise, open, opened: false };
}

export async function render({ props }) {
  const gates = [gate(), gate(), gate()];
  // stock_now: the stock settles within a few microtasks of the render's start instead, and the
  // stream is React's own: whether that boundary is in the shell depends on when the first read
  // starts (isolates/render_stream.h, EarlyRead), as soon as render's promise resolves in Node.
  const stock = props.stock_now ? Promise.resolve().then(() => Promise.resolve(props.stock))
    : gates[0].promise.then(() => props.stock);
  const reviews = gates[1].promise.then(() => props.reviews);
  const failing = gates[2].promise.then(() => { throw new Error('no recommendations'); });
  let next = 0;
  let waiting = false;
  const pace = new TransformStream({
    transform(chunk, controller) {
      controller.enqueue(chunk);
      if (waiting || next === gates.length) return;
      const step = gates[next++];
      waiting = true;
      setTimeout(() => { waiting = false; step.open(); }, props.wait_ms);
    },
  });
  const stream = await renderToReadableStream(
    <html lang="en">
      <head><title>{props.name}</title></head>
      <body>
        <h1>{props.name}</h1>
        <Suspense fallback={<p>loading stock…</p>}><Stock promise={stock} /></Suspense>
        <Suspense fallback={<p>loading reviews…</p>}><Reviews promise={reviews} /></Suspense>
        <Suspense fallback={<p>loading more…</p>}><Stock promise={failing} /></Suspense>
      </body>
    </html>,
    { onError: () => 'hidden', bootstrapScriptContent: 'window.__page=1' },
  );
  if (props.stock_now) {
    // The other boundaries' data arrives after a timer each, one after the other.
    setTimeout(() => {
      gates[1].open();
      setTimeout(() => gates[2].open(), props.wait_ms);
    }, props.wait_ms);
    return { html: stream, head: '', status: 200 };
  }
  return { html: stream.pipeThrough(pace), head: '', status: 200 };
}
