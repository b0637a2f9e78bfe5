// Finding what the server left for the browser: the hydration payload {component, props, data}
// and the element to hydrate. Problems are reported with console.error, prefixed "ssrd:".
// (Canonical copy in adapters/shared/: `npm run sync-shared` copies it into each package.)

export const DEFAULT_ID = 'ssrd-data';
export const DEFAULT_ROOT = '#root';

export function isDevelopment(option) {
  if (typeof option === 'boolean') return option;
  // Bundlers replace process.env.NODE_ENV with a string (a typeof process guard would stay and
  // be false in a browser); without a bundler there is no process there, and no development.
  try {
    return process.env.NODE_ENV !== 'production';
  } catch {
    return false;
  }
}

// {id} reads <script type="application/json" id="…"> (the default, "ssrd-data"); {global}
// reads window[global], which the hydrate_global form of the script sets.
export function readPayload(options = {}) {
  if (options.global) {
    const payload = globalThis[options.global];
    if (!payload || typeof payload !== 'object') {
      console.error(`ssrd: window["${options.global}"] holds no hydration data; nothing to hydrate`);
      return null;
    }
    return payload;
  }
  const id = options.id || DEFAULT_ID;
  const element = document.getElementById(id);
  if (!element) {
    console.error(`ssrd: no #${id} element; nothing to hydrate`);
    return null;
  }
  try {
    return JSON.parse(element.textContent);
  } catch (error) {
    console.error(`ssrd: #${id} does not hold JSON:`, error);
    return null;
  }
}

export function findRoot(root = DEFAULT_ROOT) {
  const element = typeof root === 'string' ? document.querySelector(root) : root;
  if (!element) console.error(`ssrd: no ${typeof root === 'string' ? root : 'root'} element; nothing to hydrate`);
  return element || null;
}

// The component named by the payload: from a map (own properties only) or a resolver, which may
// return a promise (a module from a lazy import() counts as its default export). Logs and gives
// null when there is none.
export function pickComponent(components, name) {
  const report = (component) => {
    if (!component) console.error(`ssrd: unknown component "${name}"`);
    return component || null;
  };
  if (typeof components === 'function') {
    const found = components(name);
    if (found && typeof found.then === 'function') {
      return found.then((loaded) => report(loaded && (loaded.default ?? loaded)));
    }
    return report(found);
  }
  return report(Object.prototype.hasOwnProperty.call(components, name) ? components[name] : undefined);
}

// Calls then(value) now, or once a promise settles; errors of a promise are logged.
export function whenReady(value, then) {
  if (value && typeof value.then === 'function') {
    return value.then(then, (error) => {
      console.error('ssrd: cannot load the component:', error);
      return null;
    });
  }
  return then(value);
}

// Tests and scripts wait for this attribute (<html data-ssrd-hydrated="true">).
export function markHydrated(payload, onHydrated) {
  document.documentElement.dataset.ssrdHydrated = 'true';
  if (onHydrated) onHydrated(payload);
}

// For frameworks that repair a mismatch silently (Preact, Svelte): hydration must leave the
// server's markup as it was, so a change means the two renders differed. Reported in
// development only: serialising the root twice costs time on a large page.
export function reportChangedMarkup(root, before, component) {
  const after = root.innerHTML;
  if (after === before) return false;
  let i = 0;
  while (i < before.length && i < after.length && before[i] === after[i]) i++;
  const from = Math.max(0, i - 40);
  console.error(
    `ssrd: hydration mismatch in "${component}": the client render differs from the server markup ` +
      `at character ${i}\n  server: …${before.slice(from, i + 80)}\n  client: …${after.slice(from, i + 80)}`,
  );
  return true;
}
