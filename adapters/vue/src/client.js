// hydrate(components): reads the hydration payload the worker wrote and hydrates the server's
// markup with the component it names.
import { createSSRApp } from 'vue';
import { findRoot, isDevelopment, markHydrated, pickComponent, readPayload, whenReady } from './shared/client_payload.js';

// options: id | global, root (element or selector, default "#root"), setup(app, payload)
// (plugins; may return a promise, mounted after it), onHydrated(payload), dev (default:
// process.env.NODE_ENV !== "production"). In development Vue's hydration warnings become
// console.error naming the component; in production Vue itself logs "Hydration completed but
// contains mismatches." Returns the app, a promise of it when something was asynchronous, or
// null when there is nothing to hydrate.
export function hydrate(components, options = {}) {
  const payload = readPayload(options);
  const root = payload && findRoot(options.root);
  if (!payload || !root) return null;
  const dev = isDevelopment(options.dev);
  return whenReady(pickComponent(components, payload.component), (found) => {
    if (!found) return null;
    const app = createSSRApp(found, payload.props ?? {});
    if (dev) {
      app.config.warnHandler = (message, instance, trace) => {
        if (/hydration|mismatch/i.test(message)) {
          console.error(`ssrd: hydration mismatch in "${payload.component}": ${message}\n${trace}`);
        } else {
          console.warn(`[Vue warn]: ${message}\n${trace}`);
        }
      };
    }
    return whenReady(options.setup ? options.setup(app, payload) : undefined, () => {
      app.mount(root);
      markHydrated(payload, options.onHydrated);
      return app;
    });
  });
}
