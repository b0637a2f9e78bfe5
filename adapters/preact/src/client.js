// hydrate(components): reads the hydration payload the worker wrote and hydrates the server's
// markup with the component it names.
import { h, hydrate as preactHydrate } from 'preact';
import {
  findRoot, isDevelopment, markHydrated, pickComponent, readPayload, reportChangedMarkup, whenReady,
} from './shared/client_payload.js';

// options: id | global, root (element or selector, default "#root"), wrap(vnode, payload),
// onHydrated(payload), dev (default: process.env.NODE_ENV !== "production"). Preact repairs a
// mismatch without a word, so in development the root's markup is compared before and after
// and a difference is logged with console.error. Returns the payload, a promise of it for a
// resolver that returned one, or null when there is nothing to hydrate.
export function hydrate(components, options = {}) {
  const payload = readPayload(options);
  const root = payload && findRoot(options.root);
  if (!payload || !root) return null;
  const dev = isDevelopment(options.dev);
  return whenReady(pickComponent(components, payload.component), (Component) => {
    if (!Component) return null;
    let vnode = h(Component, payload.props ?? {});
    if (options.wrap) vnode = options.wrap(vnode, payload);
    const before = dev ? root.innerHTML : null;
    preactHydrate(vnode, root);
    if (dev) reportChangedMarkup(root, before, payload.component);
    markHydrated(payload, options.onHydrated);
    return payload;
  });
}
