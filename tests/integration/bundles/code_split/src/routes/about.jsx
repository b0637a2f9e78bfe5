import { Suspense, lazy } from 'react';

const Details = lazy(() => import('../shared/details.jsx'));

export default function About() {
  return <section><h1>About</h1><Suspense fallback={<p>…</p>}><Details cents={0} /></Suspense></section>;
}
