// Peer (b): one Node process, an http server that calls the bundle's render (renderToString)
// on its own thread. POST /render {"component", "props"} -> 200 text/html, or 4xx/500 text.
//   node node-http.mjs --port N
import { loadRender, portArg } from './bundle.mjs';
import { serveRenders } from './http-peer.mjs';

const render = await loadRender();
serveRenders(portArg(19402), (body) => {
  const { component, props } = JSON.parse(body);
  return render(component, props);
});
