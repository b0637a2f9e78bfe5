// Checks an example app's server bundle the way the ssrd worker runs it: dist/server.mjs is
// loaded as one ES module in a bare V8 context that holds only the worker's globals, then every
// case of expected/cases.json is rendered and compared byte for byte with expected/NAME.html and
// NAME.head.html, and with its status; so is dist/server.stream.mjs, when the app has one, with
// the cases of expected/stream-cases.json too. An unknown component must throw not_found. Lists
// which globals the bundles touched. The daemon's output is compared with the same files by
// tests/examples (so ssrd and Node render identically).
// Run: node --experimental-vm-modules check-bundle.mjs APP_DIR   (npm run check in an app)
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import vm from 'node:vm';
import { readStream } from './read-stream.mjs';

const root = resolve(process.argv[2] ?? '.');
const cases = JSON.parse(readFileSync(join(root, 'expected', 'cases.json'), 'utf8'));

let phase = 'load';
const used = new Map(); // name -> Set of phases
const note = (name) => {
  if (!used.has(name)) used.set(name, new Set());
  used.get(name).add(phase);
};

// What the worker provides (isolates/runtime_prelude.cc, isolates/web), from Node's own
// implementations: a read is recorded, so a feature test shows up even when nothing is called.
const provided = {
  console, TextEncoder, TextDecoder, setTimeout, clearTimeout, setInterval, clearInterval,
  queueMicrotask, MessageChannel, MessagePort, URL, URLSearchParams, Event, EventTarget, CustomEvent,
  DOMException, AbortController, AbortSignal, Headers, Request, Response, ReadableStream,
  WritableStream, TransformStream, TextEncoderStream, TextDecoderStream, Blob, File, atob, btoa,
  crypto, structuredClone,
  performance: { now: () => performance.now(), timeOrigin: performance.timeOrigin },
  process: { env: { NODE_ENV: 'production' }, nextTick: (fn, ...args) => queueMicrotask(() => fn(...args)) },
  fetch: () => Promise.reject(new TypeError('fetch is not available in ssrd workers')),
};
const sandbox = {};
for (const [name, value] of Object.entries(provided)) {
  Object.defineProperty(sandbox, name, { get() { note(name); return value; }, configurable: true });
}
// Not in the worker: a probe sees undefined, as it would there.
for (const name of ['setImmediate', 'window', 'document', 'navigator', 'require', 'Buffer',
  'requestAnimationFrame', 'location', 'localStorage']) {
  Object.defineProperty(sandbox, name, { get() { note(`${name} (absent)`); return undefined; }, configurable: true });
}

let passed = 0;
let failed = 0;
function expect(ok, what) {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
}

// Each bundle in a context of its own: dist/server.mjs, and dist/server.stream.mjs (the adapter's
// stream option) when the app has one, whose html is read as the worker reads a stream. The
// streaming bundle renders the cases of cases.json and of stream-cases.json.
async function checkBundle(file, cases) {
  phase = 'load';
  const context = vm.createContext(sandbox);
  vm.runInContext('globalThis.self = globalThis; globalThis.global = globalThis;', context);
  const bundlePath = join(root, 'dist', file);
  const module = new vm.SourceTextModule(readFileSync(bundlePath, 'utf8'), { context, identifier: bundlePath });
  await module.link(() => {
    throw new Error('the server bundle must not import anything');
  });
  await module.evaluate();
  const { render } = module.namespace;
  expect(typeof render === 'function', `${file} exports render()`);

  phase = 'render';
  for (const c of cases) {
    const read = (suffix) => readFileSync(join(root, 'expected', `${c.name}${suffix}`), 'utf8');
    const reply = await render({ component: c.component, props: JSON.parse(read('.props.json')), url: c.url ?? '/' });
    const html = typeof reply.html === 'string' ? reply.html : (await readStream(reply.html)).join('');
    expect(html === read('.html'), `${file} ${c.name}: ${c.component} html equals expected/${c.name}.html`);
    expect(reply.head === read('.head.html'), `${file} ${c.name}: head equals expected/${c.name}.head.html`);
    expect(reply.status === c.status, `${file} ${c.name}: status ${reply.status}, expected ${c.status}`);
  }
  try {
    await render({ component: 'Nope', props: {}, url: '/' });
    expect(false, `${file}: unknown component throws`);
  } catch (error) {
    expect(error.code === 'not_found' && error.message === 'unknown component "Nope"', `${file}: unknown component throws not_found`);
  }
}

await checkBundle('server.mjs', cases);
if (existsSync(join(root, 'dist', 'server.stream.mjs'))) {
  const streamCases = join(root, 'expected', 'stream-cases.json');
  await checkBundle('server.stream.mjs', [...cases, ...(existsSync(streamCases) ? JSON.parse(readFileSync(streamCases, 'utf8')) : [])]);
}

phase = 'after render';
await new Promise((done) => setTimeout(done, 50));
console.log('globals touched:');
for (const [name, phases] of [...used].sort()) console.log(`  ${name}: ${[...phases].join(', ')}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
