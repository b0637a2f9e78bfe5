// hydrate(components): reads the hydration payload the worker wrote and hydrates the server's
// markup with the component it names.
import { createElement, useEffect } from 'react';
import { hydrateRoot } from 'react-dom/client';
import { findRoot, markHydrated, pickComponent, readPayload, whenReady } from './shared/client_payload.js';

// Renders nothing of its own, so the markup matches the server's; its effect runs once
// hydration has committed.
function HydrationMarker({ payload, onHydrated, children }) {
  useEffect(() => markHydrated(payload, onHydrated), []);
  return children;
}

// options: id | global, root (element or selector, default "#root"), wrap(element, payload),
// onHydrated(payload), onRecoverableError (default: console.error naming the component; React
// calls it for every hydration mismatch, in production too). Returns the React root, a promise
// of it for a resolver that returned one, or null when there is nothing to hydrate.
export function hydrate(components, options = {}) {
  const payload = readPayload(options);
  const root = payload && findRoot(options.root);
  if (!payload || !root) return null;
  return whenReady(pickComponent(components, payload.component), (Component) => {
    if (!Component) return null;
    let element = createElement(Component, payload.props ?? {});
    if (options.wrap) element = options.wrap(element, payload);
    const onRecoverableError =
      options.onRecoverableError ??
      ((error) => console.error(`ssrd: hydration error in "${payload.component}":`, error));
    return hydrateRoot(
      root,
      createElement(HydrationMarker, { payload, onHydrated: options.onHydrated }, element),
      { onRecoverableError },
    );
  });
}
