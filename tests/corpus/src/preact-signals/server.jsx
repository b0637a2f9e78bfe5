// @preact/signals with preact-render-to-string: signals, computed values and effects in
// components, rendered to a string (and to a web ReadableStream by renderToReadableStream for
// a second component, with a Suspense boundary around a lazy one).
import { Suspense, lazy } from 'preact/compat';
import { renderToString } from 'preact-render-to-string';
import { renderToReadableStream } from 'preact-render-to-string/stream';
import { computed, signal, useComputed, useSignal } from '@preact/signals';

function Cart({ items }) {
  const list = useSignal(items);
  const total = useComputed(() => list.value.reduce((sum, item) => sum + item.price * item.qty, 0));
  const count = computed(() => list.value.length);
  return (
    <section>
      <h2>{count} lines</h2>
      <ul>{list.value.map((item) => <li key={item.name}>{item.name} × {item.qty}</li>)}</ul>
      <p>total {total}</p>
    </section>
  );
}

const greeting = signal('hello');
const Reviews = lazy(() => new Promise((resolve) => setTimeout(resolve, 1)).then(() => ({
  default: ({ reviews }) => <ol>{reviews.map((r) => <li key={r}>{r}</li>)}</ol>,
})));

export function render({ component, props }) {
  if (component === 'Stream') {
    const stream = renderToReadableStream(
      <div>
        <p>{greeting}</p>
        <Suspense fallback={<p>loading</p>}><Reviews reviews={props.reviews} /></Suspense>
      </div>,
    );
    return { html: stream };
  }
  return { html: renderToString(<Cart items={props.items} />), head: '' };
}
