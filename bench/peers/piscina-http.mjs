// Peer (c): the same http server, with renders on a worker_threads pool (piscina) of --workers
// threads. The main thread only does HTTP; the request body goes to a worker as a string and
// the HTML comes back as a string (structured clone, as any piscina user pays).
//   node piscina-http.mjs --port N --workers W
import http from 'node:http';
import { Piscina } from 'piscina';
import { portArg, workersArg } from './bundle.mjs';

const workers = workersArg(2);
const pool = new Piscina({
  filename: new URL('./piscina-worker.mjs', import.meta.url).href,
  minThreads: workers,
  maxThreads: workers,
  // One render at a time per thread, like one per ssrd worker process.
  concurrentTasksPerWorker: 1,
  idleTimeout: Infinity,
});
const port = portArg(39403);

http
  .createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      pool.run(Buffer.concat(chunks).toString('utf8')).then(
        (html) => {
          res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
          res.end(html);
        },
        (error) => {
          res.writeHead(error.code === 'not_found' ? 404 : 500, { 'content-type': 'text/plain' });
          res.end(String(error.message));
        },
      );
    });
  })
  .listen(port, '127.0.0.1');
