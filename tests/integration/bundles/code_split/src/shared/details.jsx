// A nested chunk: loaded lazily by two route chunks, never by the entry. RELEASE is set by
// build.mjs: the test's two builds differ in this chunk alone.
import { memo } from 'react';

export default memo(function Details({ cents }) {
  const price = new Intl.NumberFormat('en-IE', { style: 'currency', currency: 'EUR' }).format(cents / 100);
  return <dl><dt>release</dt><dd>{RELEASE}</dd><dt>price</dt><dd>{price}</dd></dl>;
});
