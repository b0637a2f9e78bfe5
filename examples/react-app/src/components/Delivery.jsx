import { Suspense, use, useState } from 'react';
import { Head } from '@ssrd/react';

// A page part whose data comes later than the rest: the delivery estimate is a promise that
// settles props.wait_ms after the render started (standing in for a slow service), read with
// use() inside a Suspense boundary. Streamed (server.stream.jsx), the shell with the fallback
// leaves first and the estimate follows; the browser hydrates either state. Props: {product,
// days, wait_ms}.
function later(value, ms) {
  return new Promise((resolve) => setTimeout(() => resolve(value), ms));
}

function Estimate({ estimate }) {
  return <p className="estimate" data-testid="estimate">{use(estimate)}</p>;
}

export function Delivery({ product = 'Lamp', days = 2, wait_ms: waitMs = 0 }) {
  // Made once per render of the page: a retry of the boundary re-renders only <Estimate>.
  const [estimate] = useState(() => later(`${product} ships in ${days} days`, waitMs));
  const [watching, setWatching] = useState(false);
  return (
    <section className="delivery" data-framework="react">
      <Head>
        <title>{`Delivery of ${product}`}</title>
      </Head>
      <h1>{product}</h1>
      <Suspense fallback={<p className="estimate" data-testid="estimate-pending">Checking delivery…</p>}>
        <Estimate estimate={estimate} />
      </Suspense>
      <button type="button" data-testid="watch" onClick={() => setWatching(!watching)}>
        {watching ? 'Watching' : 'Watch'}
      </button>
    </section>
  );
}
