// The Django project's server bundle: the four example apps' bundles behind one render, so that
// one ssrd daemon serves every page of the project. build.mjs copies each app's dist/server.mjs
// and dist/server.stream.mjs next to this file (dist/react.mjs, dist/react.stream.mjs, …); the
// worker loads them as one module graph. Pages under /stream/ (the request's url) are rendered
// by the streaming bundles, whose html is a stream the daemon passes on as it comes
// (ssrd_django.streaming); the others by the whole-page bundles, as before.
// Component names are unique across the apps, and each app's render throws not_found at once
// for a name it does not have, so the first app that knows the name renders it.
import { render as react } from './react.mjs';
import { render as vue } from './vue.mjs';
import { render as svelte } from './svelte.mjs';
import { render as preact } from './preact.mjs';
import { render as reactStream } from './react.stream.mjs';
import { render as vueStream } from './vue.stream.mjs';
import { render as svelteStream } from './svelte.stream.mjs';
import { render as preactStream } from './preact.stream.mjs';

const apps = [react, vue, svelte, preact];
const streamingApps = [reactStream, vueStream, svelteStream, preactStream];

export function render(request) {
  const renders = request.url.startsWith('/stream/') ? streamingApps : apps;
  for (const renderApp of renders) {
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
