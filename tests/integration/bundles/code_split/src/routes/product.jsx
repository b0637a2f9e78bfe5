import { Suspense, lazy } from 'react';

const Details = lazy(() => import('../shared/details.jsx'));

export default function Product({ name = 'Lamp', cents = 1250 }) {
  return <article><h1>{name}</h1><Suspense fallback={<p>…</p>}><Details cents={cents} /></Suspense></article>;
}
