// The HTTP side the two Node http peers share: POST a JSON body, get 200 text/html, or 404 (an
// error with code "not_found") / 500 text. `renderBody(body)` returns the HTML or a promise of it;
// a synchronous one is answered synchronously, so the plain server pays for no promise.
import http from 'node:http';

export function serveRenders(port, renderBody) {
  const fail = (res, error) => {
    res.writeHead(error?.code === 'not_found' ? 404 : 500, { 'content-type': 'text/plain' });
    res.end(String(error?.message ?? error));
  };
  const ok = (res, html) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(html);
  };
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      let html;
      try {
        html = renderBody(Buffer.concat(chunks).toString('utf8'));
      } catch (error) {
        fail(res, error);
        return;
      }
      if (typeof html?.then === 'function') {
        html.then((out) => ok(res, out), (error) => fail(res, error));
      } else {
        ok(res, html);
      }
    });
  });
  // The previous peer on this port may still be closing (the benchmark starts them one after the
  // other): wait for the port for a few seconds instead of dying on EADDRINUSE.
  let attempts = 0;
  server.on('error', (error) => {
    if (error.code === 'EADDRINUSE' && ++attempts < 50) {
      setTimeout(() => server.listen(port, '127.0.0.1'), 100);
      return;
    }
    console.error(`http peer on port ${port}: ${error.message}`);
    process.exit(1);
  });
  server.listen(port, '127.0.0.1');
}
