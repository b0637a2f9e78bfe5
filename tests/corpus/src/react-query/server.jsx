// @tanstack/react-query: the server prefetches (the query function gets an AbortSignal),
// dehydrates the cache into the hydration data, and renders from it; a query that fails is
// dehydrated as an error only when asked to. Without AbortController this library used to
// swallow the ReferenceError and render its loading state with status 200.
import { renderToString } from 'react-dom/server';
import {
  HydrationBoundary, QueryClient, QueryClientProvider, dehydrate, useQuery,
} from '@tanstack/react-query';

const fetchProduct = async ({ queryKey: [, id], signal }) => {
  await new Promise((resolve) => setTimeout(resolve, 1));
  if (!(signal instanceof AbortSignal)) throw new Error('no AbortSignal');
  if (id === 'missing') throw new Error(`product ${id} not found`);
  return { id, name: `Product ${id}`, tags: ['a', 'b'], signal: signal.aborted };
};

function Product({ id }) {
  const { data, status, error } = useQuery({ queryKey: ['product', id], queryFn: fetchProduct });
  if (status === 'pending') return <p>loading {id}</p>;
  if (status === 'error') return <p role="alert">{error.message}</p>;
  return <h1 data-aborted={String(data.signal)}>{data.name} {data.tags.join(',')}</h1>;
}

export async function render({ props }) {
  const client = new QueryClient({ defaultOptions: { queries: { staleTime: Infinity, retry: false } } });
  await Promise.all(props.ids.map((id) => client.prefetchQuery({ queryKey: ['product', id], queryFn: fetchProduct })));
  const state = dehydrate(client, { shouldDehydrateQuery: () => true });
  // The times the cache recorded are the clock's: equal in no two renders anywhere.
  for (const query of state.queries) {
    query.state.dataUpdatedAt = query.state.errorUpdatedAt = query.dehydratedAt = 0;
  }
  const fresh = new QueryClient({ defaultOptions: { queries: { staleTime: Infinity, retry: false } } });
  const html = renderToString(
    <QueryClientProvider client={fresh}>
      <HydrationBoundary state={state}>
        {props.ids.map((id) => <Product key={id} id={id} />)}
      </HydrationBoundary>
    </QueryClientProvider>,
  );
  client.clear();
  return { html, data: state };
}
