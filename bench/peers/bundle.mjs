// The one render every peer calls: the example app's server bundle, the very file ssrd's
// workers load, so that peers and ssrd do identical JavaScript work per request.
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

// SSRD_BENCH_BUNDLE overrides the path (scripts/bench passes it explicitly).
export const bundlePath = resolve(
  process.env.SSRD_BENCH_BUNDLE ?? `${here}/../../examples/react-app/dist/server.mjs`,
);

export async function loadRender() {
  const { render } = await import(bundlePath);
  // The bundle returns {html, status, head} or a string; peers answer with the HTML only.
  return (component, props) => {
    const out = render({ component, props: props ?? {}, url: '/' });
    return typeof out === 'string' ? out : out.html;
  };
}

// "--port N" from argv, or the default.
export function portArg(fallback) {
  const at = process.argv.indexOf('--port');
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
}

export function workersArg(fallback) {
  const at = process.argv.indexOf('--workers');
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
}
