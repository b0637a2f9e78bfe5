// The main test bundle: one component per behaviour the engine tests check.
import { greet } from './lib/helpers.mjs';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function throwingComponent() {
  throw new Error('boom');
}

const components = {
  Hello: (props) => greet(props.name),
  Full: () => ({ html: '<main>full</main>', head: '<title>T</title>', status: 201 }),
  Request: (props, request) => `${request.component}|${request.url}`,
  RequestKeys: (props, request) => `${Object.keys(request).join(',')}|${request.nonce}`,
  // Leaves setters that throw on Object.prototype for the request's keys (only --isolation
  // shared lets a render do that): the engine defines them on the next request, never sets them.
  TrapObjectPrototype: () => {
    for (const key of ['component', 'props', 'url', 'nonce']) {
      Object.defineProperty(Object.prototype, key, {
        set() { throw new Error('setter of ' + key + ' ran'); },
        configurable: true,
      });
    }
    return 'trapped';
  },
  Console: () => {
    console.log('log', 1, { a: [1, 'x'], b: null });
    console.info('info %s=%d', 'n', 42);
    console.warn('warn');
    console.error('error', new Error('shown').message);
    console.debug('debug', undefined, true);
    return 'ok';
  },
  Async: async () => {
    const order = [];
    setTimeout(() => order.push('t30'), 30);
    setTimeout(() => order.push('t0'), 0);
    await sleep(10);
    order.push('after10');
    const value = await Promise.resolve(1).then((v) => v + 1).then((v) => v * 10);
    await sleep(30);
    order.push(`v${value}`);
    return { html: order.join(','), status: 202 };
  },
  Throw: () => throwingComponent(),
  Reject: () => Promise.reject(new TypeError('nope')),
  NotFound: (props, request) => {
    const error = new Error(`unknown component ${request.component}`);
    error.code = 'not_found';
    throw error;
  },
  Proto: (props) => [
    `own=${Object.prototype.hasOwnProperty.call(props, '__proto__')}`,
    `protoIsObject=${Object.getPrototypeOf(props) === Object.prototype}`,
    `value=${JSON.stringify(props['__proto__'])}`,
    `polluted=${({}).polluted === undefined ? 'no' : 'yes'}`,
    `keys=${Object.keys(props).join('+')}`,
  ].join(';'),
  Echo: (props) => JSON.stringify(props),
  // A result of `bytes` characters, returned as it is or as {html}.
  // A page-sized string concatenated from many pieces (a tree, as React builds one): ASCII,
  // Latin-1, the rest of the BMP, a surrogate pair, lone surrogates, and a lead one at the very
  // end; with props.latin1 only Latin-1 (a one-byte string).
  Utf16Page: (props) => {
    const piece = props.latin1 ? 'x\u00e9<p>' : 'a\u00e9\u20ac\ud83d\ude00\ud800b\udc00';
    let page = '';
    for (let i = 0; i < props.pieces; ++i) page += piece;
    return props.latin1 ? page : page + '\ud83d';
  },
  BigString: (props) => (props.wrapped ? { html: 'x'.repeat(props.bytes) } : 'x'.repeat(props.bytes)),
  // What V8's --expose-gc would add to every context made while it is on.
  GcGlobal: () => `${typeof globalThis.gc}`,
  Types: (props) => [
    `${typeof props.big}:${String(props.big)}`,
    `${typeof props.safe}:${props.safe}`,
    `${typeof props.neg}:${String(props.neg)}`,
    `${props.bin instanceof Uint8Array}:${Array.from(props.bin).join(',')}`,
    `${props.nil === null}`,
    `${props.f}`,
  ].join(';'),
  Intl: () => new Intl.NumberFormat('de-DE', { style: 'currency', currency: 'EUR' }).format(1234.5) +
      '|' + new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', dateStyle: 'long' }).format(new Date(0)),
  Web: async () => {
    const out = [];
    const bytes = new TextEncoder().encode('h€llo😀');
    out.push(bytes.length);
    out.push(new TextDecoder().decode(bytes));
    const into = new Uint8Array(5);
    const { read, written } = new TextEncoder().encodeInto('a€😀', into);
    out.push(`${read}/${written}`);
    const decoder = new TextDecoder();
    out.push(decoder.decode(bytes.subarray(0, 2), { stream: true }) + '|' + decoder.decode(bytes.subarray(2)));
    let fatal = 'none';
    try { new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array([0xff])); } catch (e) { fatal = e.name; }
    out.push(fatal);
    const order = [];
    const channel = new MessageChannel();
    const got = new Promise((resolve) => {
      channel.port1.onmessage = (event) => { order.push(`message:${event.data}`); resolve(); };
    });
    channel.port2.postMessage('m');
    queueMicrotask(() => order.push('micro'));
    order.push('sync');
    await got;
    out.push(order.join('>'));
    out.push(typeof performance.now() === 'number' && performance.now() >= 0);
    out.push(process.env.NODE_ENV);
    out.push(self === globalThis && global === globalThis);
    out.push(typeof fetch + '/' + typeof require);
    return out.join(';');
  },
  Never: () => new Promise(() => {}),
  TimerThrow: () => new Promise(() => { setTimeout(() => { throw new Error('late'); }, 1); }),
  Leak: () => { setInterval(() => {}, 5); return 'leaked'; },
  Grow: () => {
    const hoard = [];
    for (;;) hoard.push(new Array(100000).fill(hoard.length));
  },
};

export function render(request) {
  const component = components[request.component];
  if (component === undefined) {
    const error = new Error(`unknown component ${request.component}`);
    error.code = 'not_found';
    throw error;
  }
  return component(request.props, request);
}
