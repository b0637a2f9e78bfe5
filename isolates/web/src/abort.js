// AbortController and AbortSignal (abort, timeout, any), as in browsers and Node.
import { DOMException, Event, EventTarget } from './events.js';

const kCreate = Symbol('AbortSignal.create');
let timers = { setTimeout: undefined };
export function setTimers(t) { timers = t; }

let abortSignal;  // (signal, reason) => void

export class AbortSignal extends EventTarget {
  #aborted = false;
  #reason = undefined;
  #onabort = null;

  constructor(key = undefined) {
    if (key !== kCreate) throw new TypeError('Illegal constructor');
    super();
  }
  get aborted() { return this.#aborted; }
  get reason() { return this.#reason; }
  throwIfAborted() { if (this.#aborted) throw this.#reason; }
  get onabort() { return this.#onabort; }
  set onabort(handler) {
    if (this.#onabort !== null) this.removeEventListener('abort', this.#onabort);
    this.#onabort = typeof handler === 'function' ? handler : null;
    if (this.#onabort !== null) this.addEventListener('abort', this.#onabort);
  }

  static abort(reason = undefined) {
    const signal = new AbortSignal(kCreate);
    abortSignal(signal, reason);
    return signal;
  }
  static timeout(milliseconds) {
    const ms = Number(milliseconds);
    if (!Number.isFinite(ms) || ms < 0)
      throw new RangeError('The "delay" argument must be a finite number >= 0. Received ' + String(milliseconds));
    const signal = new AbortSignal(kCreate);
    timers.setTimeout(() => abortSignal(signal,
        new DOMException('The operation was aborted due to timeout', 'TimeoutError')), ms);
    return signal;
  }
  static any(signals) {
    const signal = new AbortSignal(kCreate);
    const list = Array.from(signals);
    for (const s of list) {
      if (!(s instanceof AbortSignal)) throw new TypeError('The "signals" argument must be an iterable of AbortSignal');
    }
    const aborted = list.find((s) => s.aborted);
    if (aborted !== undefined) {
      abortSignal(signal, aborted.reason);
      return signal;
    }
    for (const s of list) s.addEventListener('abort', () => abortSignal(signal, s.reason), { once: true });
    return signal;
  }

  static {
    abortSignal = (signal, reason) => {
      if (signal.#aborted) return;
      signal.#aborted = true;
      signal.#reason = reason === undefined ? new DOMException('This operation was aborted', 'AbortError') : reason;
      signal.dispatchEvent(new Event('abort'));
    };
  }
}
Object.defineProperty(AbortSignal.prototype, Symbol.toStringTag, { value: 'AbortSignal', configurable: true });

export class AbortController {
  #signal = new AbortSignal(kCreate);
  get signal() { return this.#signal; }
  abort(reason = undefined) { abortSignal(this.#signal, reason); }
}
Object.defineProperty(AbortController.prototype, Symbol.toStringTag, { value: 'AbortController', configurable: true });
