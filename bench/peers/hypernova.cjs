// Peer (a): airbnb's hypernova with --workers cluster workers. Its protocol: POST /batch
// {"<key>": {"name": C, "data": props}} -> {"success", "results": {"<key>": {"html", "error"}}}.
// getComponent hands hypernova a function props -> HTML over the same bundle ssrd loads (what
// hypernova-react's renderReact would do with the app's own React, minus its wrapper markup).
//   node hypernova.cjs --port N --workers W
const cluster = require('node:cluster');
const hypernova = require('hypernova/server');

const arg = (name, fallback) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};
const port = arg('--port', 19401);
const workers = arg('--workers', 2);

function start(render) {
  hypernova({
    devMode: false,
    host: '127.0.0.1',
    port,
    getCPUs: () => workers,
    logger: { level: 'warn' },
    getComponent(name) {
      if (!render) return null;
      return (props) => render(name, props);
    },
  });
}

// Only the cluster workers render, so only they load the bundle.
if (cluster.isPrimary) {
  start(null);
} else {
  import('./bundle.mjs')
    .then(({ loadRender }) => loadRender())
    .then(start, (error) => {
      console.error(error);
      process.exit(2);
    });
}
