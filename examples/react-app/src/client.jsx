// Client entry: hydrates the server markup. The page carries
//   <div id="root">…server html…</div>
//   <script type="application/json" id="ssrd-data">{"component":…,"props":…}</script>
// and the adapter sets <html data-ssrd-hydrated="true"> once hydration has committed.
import { hydrate } from '@ssrd/react/client';
import { components } from './registry.js';

hydrate(components);
