// The Django project's server bundle: the four example apps' server bundles behind one render,
// so that one ssrd daemon serves every page of the project. build.mjs copies each app's
// dist/server.mjs next to this file (dist/react.mjs, …); the worker loads them as one module graph.
// Component names are unique across the apps, and each app's render throws not_found at once
// for a name it does not have, so the first app that knows the name renders it.
import { render as react } from './react.mjs';
import { render as vue } from './vue.mjs';
import { render as svelte } from './svelte.mjs';
import { render as preact } from './preact.mjs';

const apps = [react, vue, svelte, preact];

export function render(request) {
  for (const renderApp of apps) {
    try {
      return renderApp(request);
    } catch (error) {
      if (!error || error.code !== 'not_found') throw error;
    }
  }
  const error = new Error(`unknown component "${request.component}"`);
  error.code = 'not_found';
  throw error;
}
