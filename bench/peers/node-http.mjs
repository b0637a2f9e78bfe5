// Peer (b): one Node process, an http server that calls the bundle's render (renderToString)
// on its own thread. POST /render {"component", "props"} -> 200 text/html, or 4xx/500 text.
//   node node-http.mjs --port N
import http from 'node:http';
import { loadRender, portArg } from './bundle.mjs';

const render = await loadRender();
const port = portArg(39402);

http
  .createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      let html;
      try {
        const { component, props } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        html = render(component, props);
      } catch (error) {
        res.writeHead(error.code === 'not_found' ? 404 : 500, { 'content-type': 'text/plain' });
        res.end(String(error.message));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(html);
    });
  })
  .listen(port, '127.0.0.1');
