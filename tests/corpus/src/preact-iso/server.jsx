// preact-iso: LocationProvider + Router with path parameters, a lazy() route (its component
// arrives through a promise, as a code-split chunk would) and a default route, rendered by its
// prerender(), which waits for lazy routes (preact-render-to-string's async renderer). The
// router reads location.origin, so the server stubs `location` once at load with the
// library's own locationStub, as its documentation says; each render passes its URL.
import { LocationProvider, Route, Router, lazy, useLocation, useRoute } from 'preact-iso';
import prerender, { locationStub } from 'preact-iso/prerender';

locationStub('/');

const Product = lazy(() => new Promise((resolve) => setTimeout(resolve, 1)).then(() => ({
  default: function Product() {
    const { params, query } = useRoute();
    return <article><h1>Product {params.id}</h1><p>{JSON.stringify(query)}</p></article>;
  },
})));

function Home() {
  const { url, path } = useLocation();
  return <p>home {url} {path}</p>;
}

function NotFound() {
  return <p role="alert">not found</p>;
}

function App({ url }) {
  return (
    <LocationProvider url={url}>
      <nav><a href="/">Home</a> <a href="/products/1">Lamp</a></nav>
      <Router>
        <Route path="/" component={Home} />
        <Route path="/products/:id" component={Product} />
        <Route default component={NotFound} />
      </Router>
    </LocationProvider>
  );
}

export async function render({ url }) {
  const { html, links } = await prerender(<App url={url} />);
  return { html, head: [...links].map((href) => `<link rel="prefetch" href="${href}">`).join('') };
}
