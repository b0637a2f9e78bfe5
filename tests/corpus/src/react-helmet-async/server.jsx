// react-helmet-async 3 with React 19: <Helmet> renders real <title>, <meta> and <link> elements
// and React hoists them into the document's <head>; the whole document comes from React's
// renderToReadableStream (a web ReadableStream the worker reads to its end).
import { renderToReadableStream } from 'react-dom/server';
import { Helmet, HelmetProvider } from 'react-helmet-async';

function Product({ name, description, id }) {
  return (
    <article>
      <Helmet>
        <title>{`${name} | Shop`}</title>
        <meta name="description" content={description} />
        <link rel="canonical" href={`https://shop.example/products/${id}`} />
      </Helmet>
      <h1>{name}</h1>
      <p>{description}</p>
    </article>
  );
}

export async function render({ props }) {
  const helmetContext = {};
  const stream = await renderToReadableStream(
    <html lang="en">
      <head><meta charSet="utf-8" /></head>
      <body>
        <HelmetProvider context={helmetContext}>
          <Helmet><meta property="og:site_name" content="Shop" /></Helmet>
          <Product {...props} />
        </HelmetProvider>
      </body>
    </html>,
  );
  await stream.allReady;
  return { html: stream, status: 200 };
}
