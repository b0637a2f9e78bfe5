// react-router in data mode: createStaticHandler runs the loaders for a Request (URL, Request,
// Headers, AbortController), redirects and 404s come back as Responses or error responses, and
// StaticRouterProvider writes the hydration data (JSON in a <script>) after the markup.
import { renderToString } from 'react-dom/server';
import {
  Link, Outlet, StaticRouterProvider, createStaticHandler, createStaticRouter, data, redirect,
  useLoaderData, useRouteError, isRouteErrorResponse,
} from 'react-router';

const PRODUCTS = { 1: { name: 'Lamp', price: 12 }, 2: { name: 'Desk <oak> & "co"', price: 240 } };

function Layout() {
  return (
    <main>
      <nav><Link to="/">Home</Link> <Link to="/products/1?ref=nav">Lamp</Link></nav>
      <Outlet />
    </main>
  );
}

function Home() {
  const { names, lang } = useLoaderData();
  return <ul lang={lang}>{names.map((n) => <li key={n}>{n}</li>)}</ul>;
}

function Product() {
  const { product, query, signal } = useLoaderData();
  return <article><h1>{product.name}</h1><p>{product.price} {query}</p><small>{signal}</small></article>;
}

function Problem() {
  const error = useRouteError();
  return isRouteErrorResponse(error)
    ? <p role="alert">{error.status} {error.statusText} {error.data}</p>
    : <p role="alert">{String(error)}</p>;
}

const routes = [{
  path: '/',
  Component: Layout,
  ErrorBoundary: Problem,
  children: [
    {
      index: true,
      Component: Home,
      loader: ({ request }) => ({
        names: Object.values(PRODUCTS).map((p) => p.name),
        lang: request.headers.get('accept-language'),
      }),
    },
    {
      path: 'products/:id',
      Component: Product,
      loader: async ({ params, request }) => {
        if (params.id === 'old') throw redirect('/products/1?from=old', 301);
        const product = PRODUCTS[params.id];
        if (!product) throw data(`no product ${params.id}`, { status: 404, statusText: 'Not Found' });
        await new Promise((resolve) => setTimeout(resolve, 1));
        const url = new URL(request.url);
        const query = [...url.searchParams].map(([k, v]) => `${k}=${v}`).join('&');
        return { product, query, signal: `${request.signal instanceof AbortSignal} ${request.signal.aborted}` };
      },
    },
  ],
}];

const handler = createStaticHandler(routes);

export async function render({ props, url }) {
  const controller = new AbortController();
  const request = new Request(new URL(url, 'http://shop.example'), {
    signal: controller.signal,
    headers: { 'Accept-Language': props.lang ?? 'en' },
  });
  const context = await handler.query(request);
  if (context instanceof Response) {
    const location = context.headers.get('Location');
    return { html: `<a href="${location}">moved</a>`, status: context.status, head: '' };
  }
  const router = createStaticRouter(handler.dataRoutes, context);
  const html = renderToString(<StaticRouterProvider router={router} context={context} />);
  return { html, head: '', status: context.statusCode };
}
