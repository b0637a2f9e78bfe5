// Server entry, loaded by the ssrd worker (bare V8, no Node builtins). The adapter renders with
// the web build of react-dom/server; the head comes from the components' <Head>.
import { createRender } from '@ssrd/react/server';
import { components } from './registry.js';

// request: {component, props, url} -> {html, head, status}. An unknown component throws an
// Error with code "not_found"; any other exception is a render error of the component itself.
export const render = createRender(components);
