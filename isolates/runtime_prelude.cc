// The JS half of the runtime (see runtime_globals.h). It runs once per context, before the
// bundle, with the native bindings and the web APIs' installer (isolates/web) as its arguments; the bindings object never becomes
// reachable from the bundle. Intrinsics it relies on are captured up front so that a bundle that
// patches Promise.prototype.then or Map cannot break timers or queueMicrotask.
#include "isolates/runtime_globals.h"

namespace ssrd::isolates {
namespace {

constexpr std::string_view kPrelude = R"JS(
(function (native, installWeb) {
  'use strict';
  const global = globalThis;
  const MapCtor = Map;
  const mapGet = Map.prototype.get, mapSet = Map.prototype.set, mapDelete = Map.prototype.delete,
        mapClear = Map.prototype.clear;
  const resolved = Promise.resolve();
  const then = Promise.prototype.then;
  const apply = Reflect.apply;
  const define = (object, name, value) => Object.defineProperty(object, name,
      { value, writable: true, configurable: true, enumerable: false });

  // ---- console: node-like formatting on one line ----
  const identifier = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
  const quote = (s) => "'" + s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n') + "'";
  function inspect(value, depth, seen) {
    switch (typeof value) {
      case 'string': return depth === 0 ? value : quote(value);
      case 'number': return Object.is(value, -0) ? '-0' : String(value);
      case 'bigint': return String(value) + 'n';
      case 'symbol': return value.toString();
      case 'undefined': return 'undefined';
      case 'boolean': return String(value);
      case 'function': {
        if (/^class[\s{]/.test(Function.prototype.toString.call(value)))
          return '[class ' + (value.name || '(anonymous)') + ']';
        return value.name ? '[Function: ' + value.name + ']' : '[Function (anonymous)]';
      }
    }
    if (value === null) return 'null';
    if (value instanceof Error) return value.stack ? String(value.stack) : String(value);
    if (value instanceof Date) return isNaN(value) ? 'Invalid Date' : value.toISOString();
    if (value instanceof RegExp) return String(value);
    if (seen.includes(value)) return '[Circular]';
    const nested = depth > 2;
    const next = (v) => inspect(v, depth + 1, seen.concat([value]));
    if (Array.isArray(value)) {
      if (nested) return '[Array]';
      if (value.length === 0) return '[]';
      const items = [];
      for (let i = 0; i < value.length && i < 100; i++) items.push(next(value[i]));
      if (value.length > 100) items.push('... ' + (value.length - 100) + ' more items');
      return '[ ' + items.join(', ') + ' ]';
    }
    if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
      const name = value.constructor ? value.constructor.name : 'TypedArray';
      const items = Array.prototype.slice.call(value, 0, 100).map((v) => inspect(v, 1, seen));
      if (value.length > 100) items.push('... ' + (value.length - 100) + ' more items');
      return name + '(' + value.length + ') ' + (items.length ? '[ ' + items.join(', ') + ' ]' : '[]');
    }
    if (value instanceof MapCtor) {
      if (nested) return '[Map]';
      const items = [];
      value.forEach((v, k) => items.push(next(k) + ' => ' + next(v)));
      return 'Map(' + value.size + ') ' + (items.length ? '{ ' + items.join(', ') + ' }' : '{}');
    }
    if (value instanceof Set) {
      if (nested) return '[Set]';
      const items = [];
      value.forEach((v) => items.push(next(v)));
      return 'Set(' + value.size + ') ' + (items.length ? '{ ' + items.join(', ') + ' }' : '{}');
    }
    if (value instanceof Promise) return 'Promise {}';
    const proto = Object.getPrototypeOf(value);
    let prefix = '';
    if (proto === null) prefix = '[Object: null prototype] ';
    else if (proto !== Object.prototype && proto.constructor && proto.constructor.name)
      prefix = proto.constructor.name + ' ';
    if (nested) return prefix ? '[' + prefix.trim() + ']' : '[Object]';
    const items = [];
    for (const key of Object.keys(value)) {
      const d = Object.getOwnPropertyDescriptor(value, key);
      const shown = identifier.test(key) ? key : quote(key);
      if (d.get || d.set) items.push(shown + ': ' + (d.get && d.set ? '[Getter/Setter]' : d.get ? '[Getter]' : '[Setter]'));
      else items.push(shown + ': ' + next(d.value));
    }
    return prefix + (items.length ? '{ ' + items.join(', ') + ' }' : '{}');
  }
  function formatString(value) {
    if (typeof value === 'bigint') return value + 'n';
    if (typeof value === 'symbol') return value.toString();
    if (typeof value === 'object' && value !== null) return inspect(value, 1, []);
    return String(value);
  }
  function format(args) {
    let out = '';
    let rest = 0;
    if (typeof args[0] === 'string') {
      const fmt = args[0];
      let arg = 1;
      rest = 1;
      for (let i = 0; i < fmt.length; i++) {
        const c = fmt[i];
        if (c !== '%' || i + 1 === fmt.length) { out += c; continue; }
        const spec = fmt[i + 1];
        if (spec === '%') { out += '%'; i++; continue; }
        if (!'sdifjoOc'.includes(spec)) { out += c; continue; }
        i++;
        if (arg >= args.length) { out += '%' + spec; continue; }
        const v = args[arg++];
        switch (spec) {
          case 's': out += formatString(v); break;
          case 'd': out += typeof v === 'bigint' ? v + 'n' : typeof v === 'symbol' ? 'NaN' : String(Number(v)); break;
          case 'i': out += typeof v === 'bigint' ? v + 'n' : typeof v === 'symbol' ? 'NaN' : String(parseInt(v)); break;
          case 'f': out += typeof v === 'symbol' ? 'NaN' : String(parseFloat(v)); break;
          case 'j': try { out += JSON.stringify(v); } catch (e) { out += '[Circular]'; } break;
          case 'o': case 'O': out += inspect(v, 1, []); break;
          case 'c': break;
        }
      }
      rest = arg;
    }
    for (let i = rest; i < args.length; i++) {
      if (out.length > 0 || i > 0) out += ' ';
      out += inspect(args[i], 0, []);
    }
    return out;
  }
  function write(level, args) {
    let text;
    try { text = format(args); } catch (e) { text = '[console argument could not be formatted]'; }
    native.consoleWrite(level, text);
  }
  const console = {};
  for (const level of ['log', 'info', 'warn', 'error', 'debug'])
    define(console, level, function (...args) { write(level, args); });
  define(console, 'trace', function (...args) {
    write('error', ['Trace: ' + format(args) + '\n' + String(new Error().stack).split('\n').slice(2).join('\n')]);
  });
  define(console, 'dir', function (value) { write('log', [inspect(value, 1, [])]); });
  define(console, 'table', function (...args) { write('log', args); });
  define(console, 'assert', function (condition, ...args) {
    if (!condition) write('error', args.length ? ['Assertion failed:', ...args] : ['Assertion failed']);
  });
  const counts = new MapCtor(), times = new MapCtor();
  define(console, 'count', function (label = 'default') {
    const n = (apply(mapGet, counts, [label]) || 0) + 1;
    apply(mapSet, counts, [label, n]);
    write('info', [label + ': ' + n]);
  });
  define(console, 'countReset', function (label = 'default') { apply(mapDelete, counts, [label]); });
  define(console, 'time', function (label = 'default') { apply(mapSet, times, [label, native.now()]); });
  const elapsed = (label) => {
    const start = apply(mapGet, times, [label]);
    return start === undefined ? null : label + ': ' + (native.now() - start).toFixed(3) + 'ms';
  };
  define(console, 'timeLog', function (label = 'default', ...args) {
    const t = elapsed(label);
    if (t !== null) write('info', [t, ...args]);
  });
  define(console, 'timeEnd', function (label = 'default') {
    const t = elapsed(label);
    apply(mapDelete, times, [label]);
    if (t !== null) write('info', [t]);
  });
  for (const name of ['group', 'groupCollapsed'])
    define(console, name, function (...args) { if (args.length) write('log', args); });
  define(console, 'groupEnd', function () {});
  define(global, 'console', console);

  // ---- timers and macrotasks: callbacks here, schedule in the native TimerQueue ----
  const tasks = new MapCtor();  // id -> {fn, args, repeat}; repeat < 0 for one-shot tasks
  let nextId = 1;
  function addTask(fn, delay, args, repeat) {
    const id = nextId++;
    // The AsyncLocalStorage frame of the caller goes with the task (see below).
    apply(mapSet, tasks, [id, { fn, args, repeat, frame: native.getAsyncFrame() }]);
    native.scheduleTimer(id, delay);
    return id;
  }
  function checkCallback(fn) {
    // Browsers also accept a string of code; props are data, never code, so strings are refused.
    if (typeof fn !== 'function')
      throw new TypeError('The "callback" argument must be of type function. Received ' + typeof fn);
  }
  const delayOf = (delay) => { delay = Number(delay); return delay >= 0 ? delay : 0; };
  function cancel(id) {
    if (typeof id !== 'number') return;
    apply(mapDelete, tasks, [id]);
    native.cancelTimer(id);
  }
  define(global, 'setTimeout', function setTimeout(fn, delay, ...args) {
    checkCallback(fn);
    return addTask(fn, delayOf(delay), args, -1);
  });
  define(global, 'setInterval', function setInterval(fn, delay, ...args) {
    checkCallback(fn);
    const d = delayOf(delay);
    return addTask(fn, d, args, d);
  });
  define(global, 'clearTimeout', function clearTimeout(id) { cancel(id); });
  define(global, 'clearInterval', function clearInterval(id) { cancel(id); });
  function fireTimer(id) {
    const task = apply(mapGet, tasks, [id]);
    if (task === undefined) return;
    // Rescheduled before the call so that clearInterval inside the callback wins.
    if (task.repeat >= 0) native.scheduleTimer(id, task.repeat);
    else apply(mapDelete, tasks, [id]);
    const outer = native.getAsyncFrame();
    native.setAsyncFrame(task.frame);
    try { apply(task.fn, undefined, task.args); } finally { native.setAsyncFrame(outer); }
  }
  // After every render: no timer and no AsyncLocalStorage frame reaches the next one. The native
  // call is skipped for bundles that never set a frame (the render hot path).
  let framesSet = false;
  function clearTimers() {
    apply(mapClear, tasks, []);
    if (framesSet) native.setAsyncFrame(undefined);
  }

  define(global, 'queueMicrotask', function queueMicrotask(fn) {
    checkCallback(fn);
    apply(then, resolved, [() => { try { fn(); } catch (e) { native.reportUncaught(e); } }]);
  });

  // ---- MessageChannel: postMessage delivers as a macrotask (React's scheduler relies on it) ----
  // Messages are passed by reference, not structured-cloned: both ends live in one context.
  class MessagePort {
    #peer = null;
    #closed = false;
    #started = false;
    #onmessage = null;
    #listeners = [];
    #pending = [];
    static _link(a, b) { a.#peer = b; b.#peer = a; }
    get onmessage() { return this.#onmessage; }
    set onmessage(fn) {
      this.#onmessage = typeof fn === 'function' ? fn : null;
      this.start();
    }
    addEventListener(type, fn) {
      if (type === 'message' && typeof fn === 'function' && !this.#listeners.includes(fn))
        this.#listeners.push(fn);
    }
    removeEventListener(type, fn) {
      if (type === 'message') this.#listeners = this.#listeners.filter((l) => l !== fn);
    }
    start() {
      if (this.#started) return;
      this.#started = true;
      const pending = this.#pending;
      this.#pending = [];
      for (const data of pending) addTask(() => this.#dispatch(data), 0, [], -1);
    }
    close() {
      this.#closed = true;
      if (this.#peer) this.#peer.#closed = true;
    }
    postMessage(data) {
      const peer = this.#peer;
      if (this.#closed || peer === null) return;
      addTask(() => peer.#receive(data), 0, [], -1);
    }
    #receive(data) {
      if (this.#closed) return;
      if (!this.#started) { this.#pending.push(data); return; }
      this.#dispatch(data);
    }
    #dispatch(data) {
      if (this.#closed) return;
      const event = { type: 'message', data, target: this, currentTarget: this };
      if (this.#onmessage) apply(this.#onmessage, this, [event]);
      for (const l of this.#listeners.slice()) apply(l, this, [event]);
    }
  }
  const link = MessagePort._link;
  delete MessagePort._link;
  class MessageChannel {
    constructor() {
      define(this, 'port1', new MessagePort());
      define(this, 'port2', new MessagePort());
      link(this.port1, this.port2);
    }
  }
  define(global, 'MessagePort', MessagePort);
  define(global, 'MessageChannel', MessageChannel);

  // ---- TextEncoder / TextDecoder (UTF-8 only) ----
  class TextEncoder {
    get encoding() { return 'utf-8'; }
    encode(input = '') { return native.utf8Encode(String(input)); }
    encodeInto(source, destination) {
      if (!(destination instanceof Uint8Array)) throw new TypeError('The "dest" argument must be a Uint8Array');
      return native.utf8EncodeInto(String(source), destination);
    }
  }
  // Bytes at the end of a chunk that start a UTF-8 sequence the chunk does not finish.
  function incompleteTail(bytes) {
    const n = bytes.length;
    for (let back = 1; back <= 3 && back <= n; back++) {
      const b = bytes[n - back];
      if ((b & 0xc0) === 0x80) continue;
      const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
      return need > back ? back : 0;
    }
    return 0;
  }
  class TextDecoder {
    #fatal; #ignoreBOM; #pending = null; #started = false;
    constructor(label = 'utf-8', options = {}) {
      const l = String(label).trim().toLowerCase();
      if (l !== 'utf-8' && l !== 'utf8' && l !== 'unicode-1-1-utf-8')
        throw new RangeError('The "' + label + '" encoding is not supported');
      this.#fatal = Boolean(options && options.fatal);
      this.#ignoreBOM = Boolean(options && options.ignoreBOM);
    }
    get encoding() { return 'utf-8'; }
    get fatal() { return this.#fatal; }
    get ignoreBOM() { return this.#ignoreBOM; }
    decode(input, options) {
      const stream = Boolean(options && options.stream);
      let bytes;
      if (input === undefined) bytes = new Uint8Array(0);
      // A context made from a snapshot has no SharedArrayBuffer (V8 10.2 leaves it out there).
      else if (input instanceof ArrayBuffer || (typeof SharedArrayBuffer === 'function' && input instanceof SharedArrayBuffer)) bytes = new Uint8Array(input);
      else if (ArrayBuffer.isView(input)) bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
      else throw new TypeError('The "input" argument must be an instance of ArrayBuffer or ArrayBufferView');
      if (this.#pending !== null) {
        const joined = new Uint8Array(this.#pending.length + bytes.length);
        joined.set(this.#pending);
        joined.set(bytes, this.#pending.length);
        bytes = joined;
        this.#pending = null;
      }
      if (stream) {
        const keep = incompleteTail(bytes);
        if (keep > 0) {
          this.#pending = bytes.slice(bytes.length - keep);
          bytes = bytes.subarray(0, bytes.length - keep);
        }
      }
      let text = native.utf8Decode(bytes, this.#fatal);
      if (!this.#started && text.length > 0) {
        if (!this.#ignoreBOM && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
        this.#started = true;
      }
      if (!stream) this.#started = false;
      return text;
    }
  }
  define(global, 'TextEncoder', TextEncoder);
  define(global, 'TextDecoder', TextDecoder);

  // ---- the rest ----
  const performance = {};
  define(performance, 'now', function now() { return native.now(); });
  define(performance, 'timeOrigin', Date.now() - native.now());
  define(global, 'performance', performance);
  define(global, 'process', {
    env: { NODE_ENV: native.nodeEnv },
    nextTick(fn, ...args) { checkCallback(fn); global.queueMicrotask(() => apply(fn, undefined, args)); },
  });
  define(global, 'self', global);
  define(global, 'global', global);

  // ---- AsyncLocalStorage (also the node:async_hooks module: module_loader.cc) ----
  // A frame is a Map from storage to store, never changed once made. The current frame is V8's
  // "continuation-preserved embedder data" of the context: V8 captures it when a promise reaction
  // is created (then, await) and restores it when the reaction runs, so it follows await and
  // promise callbacks at no cost to code that never uses it (promise hooks would slow every
  // promise of every render). Timers and MessagePort carry it themselves (addTask).
  const mapForEach = Map.prototype.forEach;
  const copyFrame = (frame) => {
    const copy = new MapCtor();
    if (frame instanceof MapCtor) apply(mapForEach, frame, [(v, k) => apply(mapSet, copy, [k, v])]);
    return copy;
  };
  const setFrame = (frame) => { framesSet = true; native.setAsyncFrame(frame); };
  const runIn = (frame, fn, thisArg, args) => {
    framesSet = true;
    const outer = native.getAsyncFrame();
    native.setAsyncFrame(frame);
    try { return apply(fn, thisArg, args); } finally { native.setAsyncFrame(outer); }
  };
  class AsyncLocalStorage {
    getStore() {
      const frame = native.getAsyncFrame();
      return frame instanceof MapCtor ? apply(mapGet, frame, [this]) : undefined;
    }
    run(store, fn, ...args) {
      const frame = copyFrame(native.getAsyncFrame());
      apply(mapSet, frame, [this, store]);
      return runIn(frame, fn, undefined, args);
    }
    exit(fn, ...args) {
      const frame = copyFrame(native.getAsyncFrame());
      apply(mapDelete, frame, [this]);
      return runIn(frame, fn, undefined, args);
    }
    enterWith(store) {
      const frame = copyFrame(native.getAsyncFrame());
      apply(mapSet, frame, [this, store]);
      setFrame(frame);
    }
    disable() {
      const frame = copyFrame(native.getAsyncFrame());
      apply(mapDelete, frame, [this]);
      setFrame(frame);
    }
    static bind(fn) {
      checkCallback(fn);
      const frame = native.getAsyncFrame();
      return function (...args) { return runIn(frame, fn, this, args); };
    }
    static snapshot() {
      const frame = native.getAsyncFrame();
      return (fn, ...args) => runIn(frame, fn, undefined, args);
    }
  }
  define(global, 'AsyncLocalStorage', AsyncLocalStorage);

  // ---- web APIs (URL, AbortController, Event, Headers/Request/Response, fetch, streams, Blob,
  // atob/btoa, crypto, structuredClone): isolates/web ----
  installWeb(global, {
    define,
    reportError: (error) => native.reportUncaught(error),
    setTimeout: global.setTimeout,
    randomFill: native.randomFill,
    structuredClone: native.structuredClone,
  });

  return { fireTimer, clearTimers };
})
)JS";

}  // namespace

std::string_view RuntimePreludeSource() { return kPrelude; }

}  // namespace ssrd::isolates
