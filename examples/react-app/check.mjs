// Loads dist/server.mjs the way the ssrd worker does: one ES module in a bare
// V8 context that holds only the globals the worker provides. Then renders the
// expected/ cases and compares byte for byte, checks the not_found error, and
// lists which of those globals the bundle touched at load and at render time.
// Run: npm run check  (after npm run build)
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

const root = dirname(fileURLToPath(import.meta.url));
const bundlePath = join(root, 'dist/server.mjs');

let phase = 'load';
const used = new Map(); // "name" -> Set of phases
function note(name) {
  if (!used.has(name)) used.set(name, new Set());
  used.get(name).add(phase);
}

const channels = [];
function trackFunction(name, fn) {
  return new Proxy(fn, {
    apply(target, self, args) {
      note(`${name}()`);
      return Reflect.apply(target, self, args);
    },
    construct(target, args) {
      note(`new ${name}`);
      const instance = Reflect.construct(target, args);
      if (name === 'MessageChannel') channels.push(instance);
      return instance;
    },
  });
}
function trackObject(name, object) {
  return new Proxy(object, {
    get(target, key) {
      note(`${name}.${String(key)}`);
      const value = target[key];
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

// What the worker runtime provides (see the worker's runtime globals).
const provided = {
  console: trackObject('console', console),
  TextEncoder: trackFunction('TextEncoder', TextEncoder),
  TextDecoder: trackFunction('TextDecoder', TextDecoder),
  setTimeout: trackFunction('setTimeout', setTimeout),
  clearTimeout: trackFunction('clearTimeout', clearTimeout),
  queueMicrotask: trackFunction('queueMicrotask', queueMicrotask),
  MessageChannel: trackFunction('MessageChannel', MessageChannel),
  performance: trackObject('performance', { now: () => performance.now() }),
  process: trackObject('process', { env: { NODE_ENV: 'production' } }),
};
// Every read of a provided global is recorded, so a feature test such as
// `typeof queueMicrotask` shows up even when nothing is called.
const sandbox = {};
for (const [name, value] of Object.entries(provided)) {
  Object.defineProperty(sandbox, name, {
    get() {
      note(name);
      return value;
    },
    configurable: true,
  });
}
// Globals the worker does NOT provide: a probe (typeof x) is recorded as
// "absent" and sees undefined, as it would in the worker.
for (const name of ['setImmediate', 'reportError', 'window', 'document', 'self', 'require',
  'Buffer', 'fetch', 'ReadableStream', 'AbortController', 'URL', 'structuredClone',
  'requestAnimationFrame', 'navigator', 'global']) {
  Object.defineProperty(sandbox, name, {
    get() {
      note(`${name} (absent)`);
      return undefined;
    },
    configurable: true,
  });
}

let passed = 0;
let failed = 0;
function expect(ok, what) {
  if (ok) {
    passed++;
    console.log(`ok   ${what}`);
  } else {
    failed++;
    console.log(`FAIL ${what}`);
  }
}

const context = vm.createContext(sandbox);
const module = new vm.SourceTextModule(readFileSync(bundlePath, 'utf8'), {
  context,
  identifier: bundlePath,
});
await module.link(() => {
  throw new Error('the server bundle must not import anything');
});
await module.evaluate();
const { render } = module.namespace;
expect(typeof render === 'function', 'bundle exports render()');

phase = 'render';
for (const [component, base, head] of [
  ['ProductPage', 'product-page', '<title>Spring catalogue</title>'],
  ['Tiny', 'tiny', ''],
]) {
  const props = JSON.parse(readFileSync(join(root, 'expected', `${base}.props.json`), 'utf8'));
  const expectedHtml = readFileSync(join(root, 'expected', `${base}.html`), 'utf8');
  const reply = render({ component, props, url: '/' });
  expect(reply.html === expectedHtml, `${component} html equals expected/${base}.html`);
  expect(reply.status === 200, `${component} status 200`);
  expect(reply.head === head, `${component} head is ${JSON.stringify(head)}`);
}

try {
  render({ component: 'Nope', props: {} });
  expect(false, 'unknown component throws');
} catch (error) {
  expect(error.message === 'unknown component "Nope"' && error.code === 'not_found',
    'unknown component throws not_found');
}

// A component that throws: renderToString rethrows it to the caller, which the
// worker reports as a render error. (A product without tags makes
// ProductPage's tag filter throw a TypeError.)
try {
  render({ component: 'ProductPage', props: { products: [{ sku: 'broken' }] } });
  expect(false, 'a throwing component makes render() throw');
} catch (error) {
  expect(error.name === 'TypeError', `a throwing component makes render() throw (${error.message})`);
}

// Let anything the render scheduled run, so it is listed too.
phase = 'after render';
await new Promise((resolve) => setTimeout(resolve, 50));
for (const channel of channels) channel.port1.close();

console.log('globals touched:');
for (const [name, phases] of [...used].sort()) console.log(`  ${name}: ${[...phases].join(', ')}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
