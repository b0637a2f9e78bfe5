// Peer (c): the same http server, with renders on a worker_threads pool (piscina) of --workers
// threads. The main thread only does HTTP; the request body goes to a worker as a string and
// the HTML comes back as a string (structured clone, as any piscina user pays).
//   node piscina-http.mjs --port N --workers W
import { Piscina } from 'piscina';
import { portArg, workersArg } from './bundle.mjs';
import { serveRenders } from './http-peer.mjs';

const workers = workersArg(2);
const pool = new Piscina({
  filename: new URL('./piscina-worker.mjs', import.meta.url).href,
  minThreads: workers,
  maxThreads: workers,
  // One render at a time per thread, like one per ssrd worker process.
  concurrentTasksPerWorker: 1,
  idleTimeout: Infinity,
});
serveRenders(portArg(19403), (body) => pool.run(body));
