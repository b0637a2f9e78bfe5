// Event, EventTarget and DOMException, as far as AbortSignal and libraries that dispatch their own
// events need them: one target, no propagation path (capture and bubbling have no tree here).
let reportError = (error) => { throw error; };
export function setErrorReporter(report) { reportError = report; }

const kCodes = {
  IndexSizeError: 1, HierarchyRequestError: 3, WrongDocumentError: 4, InvalidCharacterError: 5,
  NoModificationAllowedError: 7, NotFoundError: 8, NotSupportedError: 9, InvalidStateError: 11,
  SyntaxError: 12, InvalidModificationError: 13, NamespaceError: 14, InvalidAccessError: 15,
  TypeMismatchError: 17, SecurityError: 18, NetworkError: 19, AbortError: 20, URLMismatchError: 21,
  QuotaExceededError: 22, TimeoutError: 23, InvalidNodeTypeError: 24, DataCloneError: 25,
};

export class DOMException extends Error {
  #name;
  constructor(message = '', options = 'Error') {
    super(String(message));
    if (options !== null && typeof options === 'object') {
      this.#name = 'name' in options ? String(options.name) : 'Error';
      if ('cause' in options) Object.defineProperty(this, 'cause', { value: options.cause, writable: true, configurable: true });
    } else {
      this.#name = String(options);
    }
  }
  get name() { return this.#name; }
  get code() { return kCodes[this.#name] || 0; }
}
Object.defineProperty(DOMException.prototype, Symbol.toStringTag, { value: 'DOMException', configurable: true });
for (const [name, code] of Object.entries(kCodes)) {
  const constant = name.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase().replace(/_ERROR$/, '_ERR');
  Object.defineProperty(DOMException, constant, { value: code, enumerable: true });
}

let setDispatch;  // (event, target, phase) => void; only EventTarget may set these
let isStopped;    // event => true after stopImmediatePropagation()
let setPassive;   // (event, passive) => void

export class Event {
  #type; #bubbles; #cancelable; #composed;
  #defaultPrevented = false; #passive = false; #stopImmediate = false; #propagationStopped = false;
  #target = null; #currentTarget = null; #phase = 0; #timeStamp;

  constructor(type, init = undefined) {
    if (arguments.length === 0) throw new TypeError("The \"type\" argument must be specified");
    this.#type = String(type);
    this.#bubbles = Boolean(init && init.bubbles);
    this.#cancelable = Boolean(init && init.cancelable);
    this.#composed = Boolean(init && init.composed);
    this.#timeStamp = typeof performance === 'object' ? performance.now() : 0;
  }
  get type() { return this.#type; }
  get bubbles() { return this.#bubbles; }
  get cancelable() { return this.#cancelable; }
  get composed() { return this.#composed; }
  get defaultPrevented() { return this.#cancelable && this.#defaultPrevented; }
  get returnValue() { return !this.defaultPrevented; }
  set returnValue(value) { if (!value) this.preventDefault(); }
  get target() { return this.#target; }
  get srcElement() { return this.#target; }
  get currentTarget() { return this.#currentTarget; }
  get eventPhase() { return this.#phase; }
  get timeStamp() { return this.#timeStamp; }
  get isTrusted() { return false; }
  get cancelBubble() { return this.#propagationStopped; }
  set cancelBubble(value) { if (value) this.#propagationStopped = true; }
  composedPath() { return this.#currentTarget ? [this.#currentTarget] : []; }
  preventDefault() { if (!this.#passive) this.#defaultPrevented = true; }
  stopPropagation() { this.#propagationStopped = true; }
  stopImmediatePropagation() { this.#propagationStopped = true; this.#stopImmediate = true; }

  static {
    setDispatch = (event, target, phase) => {
      if (event.#target === null && target !== null) event.#target = target;
      event.#currentTarget = target;
      event.#phase = phase;
    };
    isStopped = (event) => event.#stopImmediate;
    setPassive = (event, passive) => { event.#passive = passive; };
  }
}
for (const [name, value] of [['NONE', 0], ['CAPTURING_PHASE', 1], ['AT_TARGET', 2], ['BUBBLING_PHASE', 3]]) {
  Object.defineProperty(Event, name, { value, enumerable: true });
  Object.defineProperty(Event.prototype, name, { value, enumerable: true });
}
Object.defineProperty(Event.prototype, Symbol.toStringTag, { value: 'Event', configurable: true });

export class CustomEvent extends Event {
  #detail;
  constructor(type, init = undefined) {
    super(type, init);
    this.#detail = init && init.detail !== undefined ? init.detail : null;
  }
  get detail() { return this.#detail; }
}

function flattenOptions(options) {
  if (typeof options === 'boolean') return { capture: options, once: false, passive: false, signal: undefined };
  if (options === null || typeof options !== 'object') return { capture: false, once: false, passive: false, signal: undefined };
  return { capture: Boolean(options.capture), once: Boolean(options.once), passive: Boolean(options.passive), signal: options.signal };
}

export class EventTarget {
  #listeners = new Map();  // type -> [{callback, capture, once, passive, removed}]
  #dispatching = new Set();

  addEventListener(type, callback, options = undefined) {
    if (callback === null || callback === undefined) return;
    if (typeof callback !== 'function' && typeof callback !== 'object')
      throw new TypeError('The "listener" argument must be a function or an object with handleEvent');
    const { capture, once, passive, signal } = flattenOptions(options);
    if (signal !== undefined && signal.aborted) return;
    type = String(type);
    let list = this.#listeners.get(type);
    if (list === undefined) { list = []; this.#listeners.set(type, list); }
    if (list.some((l) => l.callback === callback && l.capture === capture)) return;
    const entry = { callback, capture, once, passive, removed: false };
    list.push(entry);
    if (signal !== undefined)
      signal.addEventListener('abort', () => this.removeEventListener(type, callback, { capture }), { once: true });
  }

  removeEventListener(type, callback, options = undefined) {
    const { capture } = flattenOptions(options);
    type = String(type);
    const list = this.#listeners.get(type);
    if (list === undefined) return;
    const index = list.findIndex((l) => l.callback === callback && l.capture === capture);
    if (index < 0) return;
    list[index].removed = true;
    list.splice(index, 1);
    if (list.length === 0) this.#listeners.delete(type);
  }

  dispatchEvent(event) {
    if (!(event instanceof Event)) throw new TypeError('The "event" argument must be an instance of Event');
    if (this.#dispatching.has(event)) throw new DOMException('The event is already being dispatched', 'InvalidStateError');
    this.#dispatching.add(event);
    setDispatch(event, this, 2);
    try {
      const list = this.#listeners.get(event.type);
      if (list !== undefined) {
        for (const entry of list.slice()) {
          if (entry.removed) continue;
          if (entry.once) this.removeEventListener(event.type, entry.callback, { capture: entry.capture });
          setPassive(event, entry.passive);
          try {
            const { callback } = entry;
            if (typeof callback === 'function') callback.call(this, event);
            else if (typeof callback.handleEvent === 'function') callback.handleEvent(event);
          } catch (error) {
            // As in browsers, a listener that throws does not stop the others; the error is
            // reported (and fails the render) rather than swallowed.
            reportError(error);
          }
          setPassive(event, false);
          if (isStopped(event)) break;
        }
      }
    } finally {
      setDispatch(event, null, 0);
      this.#dispatching.delete(event);
    }
    return !event.defaultPrevented;
  }
}
Object.defineProperty(EventTarget.prototype, Symbol.toStringTag, { value: 'EventTarget', configurable: true });
