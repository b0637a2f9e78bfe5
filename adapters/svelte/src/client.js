// hydrate(components): reads the hydration payload the worker wrote and hydrates the server's
// markup with the component it names.
import { hydrate as hydrateSvelte } from 'svelte';
import {
  findRoot, isDevelopment, markHydrated, pickComponent, readPayload, reportChangedMarkup, whenReady,
} from './shared/client_payload.js';

// options: id | global, root (element or selector, default "#root"), context(payload) (entries
// for getContext()), onHydrated(payload), dev (default: process.env.NODE_ENV !== "production").
// Svelte repairs a mismatch by rendering again (with a warning only in its development build),
// so in development the root's markup is compared before and after and a difference is logged
// with console.error. Returns the component's exports, a promise of them for a resolver that
// returned one, or null when there is nothing to hydrate.
export function hydrate(components, options = {}) {
  const payload = readPayload(options);
  const root = payload && findRoot(options.root);
  if (!payload || !root) return null;
  const dev = isDevelopment(options.dev);
  return whenReady(pickComponent(components, payload.component), (found) => {
    if (!found) return null;
    const context = options.context ? new Map(options.context(payload)) : undefined;
    const before = dev ? root.innerHTML : null;
    const exports = hydrateSvelte(found, { target: root, props: payload.props ?? {}, context });
    if (dev) reportChangedMarkup(root, before, payload.component);
    markHydrated(payload, options.onHydrated);
    return exports;
  });
}
