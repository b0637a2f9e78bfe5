// A small React app whose routes are code-split: each route is a React.lazy component loaded
// through import(), so esbuild puts it in a chunk of its own, and the code two routes share in a
// chunk they both import (chunks/, a folder below the entry: a "nested" chunk, loaded only by
// other chunks). The page is rendered by renderToReadableStream, read whole once every lazy
// route has loaded.
import { Suspense, lazy } from 'react';
import { renderToReadableStream } from 'react-dom/server';

const routes = {
  '/': lazy(() => import('./routes/home.jsx')),
  '/product': lazy(() => import('./routes/product.jsx')),
  '/about': lazy(() => import('./routes/about.jsx')),
};

export async function render({ url, props }) {
  const path = new URL(url, 'http://shop.example').pathname;
  const Route = routes[path];
  if (!Route) return { html: '<p>not found</p>', status: 404 };
  const stream = await renderToReadableStream(
    <main>
      <nav>{Object.keys(routes).map((href) => <a key={href} href={href}>{href}</a>)}</nav>
      <Suspense fallback={<p>loading</p>}><Route {...props} /></Suspense>
    </main>,
  );
  await stream.allReady;
  return { html: stream };
}
