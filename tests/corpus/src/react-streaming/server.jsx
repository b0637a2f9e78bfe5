// React's streaming renderer with Suspense: the shell and the fallbacks first, then each
// boundary's content with React's inline script that swaps it in, as data promises resolve
// (one after a timer, one after a chain of microtasks, one that fails into an error boundary).
import { Suspense, use, Component } from 'react';
import { renderToReadableStream } from 'react-dom/server';

class Boundary extends Component {
  constructor(props) { super(props); this.state = { error: null }; }
  static getDerivedStateFromError(error) { return { error }; }
  render() { return this.state.error ? <p role="alert">failed</p> : this.props.children; }
}

function Reviews({ promise }) {
  const reviews = use(promise);
  return <ul>{reviews.map((r) => <li key={r.id}>{r.text} ({r.stars}★)</li>)}</ul>;
}

function Stock({ promise }) {
  return <p>in stock: {use(promise)}</p>;
}

const later = (value, ms) => new Promise((resolve) => setTimeout(() => resolve(value), ms));

export async function render({ props }) {
  const reviews = later(props.reviews, props.wait_ms);
  const stock = Promise.resolve().then(() => Promise.resolve(props.stock));
  const failing = later(null, 1).then(() => { throw new Error('no recommendations'); });
  failing.catch(() => {});
  const stream = await renderToReadableStream(
    <html lang="en">
      <head><title>{props.name}</title></head>
      <body>
        <h1>{props.name}</h1>
        <Suspense fallback={<p>loading stock…</p>}><Stock promise={stock} /></Suspense>
        <Suspense fallback={<p>loading reviews…</p>}><Reviews promise={reviews} /></Suspense>
        <Boundary><Suspense fallback={<p>loading more…</p>}><Stock promise={failing} /></Suspense></Boundary>
      </body>
    </html>,
    { onError: () => 'hidden', bootstrapScriptContent: 'window.__page=1' },
  );
  return { html: stream, head: '', status: 200 };
}
