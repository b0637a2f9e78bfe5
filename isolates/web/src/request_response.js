// Request and Response as data types: bodies from strings, ArrayBuffers, typed arrays and
// URLSearchParams, read once with text()/json()/arrayBuffer()/bytes(); clone(). Workers have no
// streams yet, so `body` is null and a ReadableStream body is refused with a clear error.
import { Headers } from './headers.js';
import { AbortSignal, AbortController } from './abort.js';

let URLClass, URLSearchParamsClass;
export function setUrlClasses(url, params) { URLClass = url; URLSearchParamsClass = params; }

const encoder = () => new TextEncoder();

// Returns {bytes, type} for a body init, or null for no body.
function extractBody(init) {
  if (init === undefined || init === null) return null;
  if (typeof init === 'string') return { bytes: encoder().encode(init), type: 'text/plain;charset=UTF-8' };
  if (init instanceof ArrayBuffer) return { bytes: new Uint8Array(init.slice(0)), type: null };
  if (ArrayBuffer.isView(init))
    return { bytes: new Uint8Array(init.buffer.slice(init.byteOffset, init.byteOffset + init.byteLength)), type: null };
  if (URLSearchParamsClass && init instanceof URLSearchParamsClass)
    return { bytes: encoder().encode(init.toString()), type: 'application/x-www-form-urlencoded;charset=UTF-8' };
  if (typeof init === 'object' && typeof init.getReader === 'function')
    throw new TypeError('ReadableStream bodies are not supported in ssrd workers yet');
  return { bytes: encoder().encode(String(init)), type: 'text/plain;charset=UTF-8' };
}

class Body {
  #bytes = null;
  #used = false;
  _initBody(body, headers) {
    const extracted = extractBody(body);
    if (extracted === null) return;
    this.#bytes = extracted.bytes;
    if (extracted.type !== null && !headers.has('content-type')) headers.set('content-type', extracted.type);
  }
  _cloneBodyInto(other) {
    if (this.#used) throw new TypeError('Body has already been used');
    other.#bytes = this.#bytes;
  }
  get body() { return null; }
  get bodyUsed() { return this.#used; }
  #consume() {
    if (this.#used) return Promise.reject(new TypeError('Body is unusable: Body has already been read'));
    this.#used = this.#bytes !== null;
    return Promise.resolve(this.#bytes === null ? new Uint8Array(0) : this.#bytes);
  }
  bytes() { return this.#consume().then((b) => b.slice()); }
  arrayBuffer() { return this.#consume().then((b) => b.slice().buffer); }
  text() { return this.#consume().then((b) => new TextDecoder().decode(b)); }
  json() { return this.text().then((t) => JSON.parse(t)); }
}

const forbiddenMethods = ['CONNECT', 'TRACE', 'TRACK'];
const normalizedMethods = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT'];
function normalizeMethod(method) {
  method = String(method);
  if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(method)) throw new TypeError("'" + method + "' is not a valid HTTP method.");
  const upper = method.toUpperCase();
  if (forbiddenMethods.includes(upper)) throw new TypeError("'" + method + "' HTTP method is unsupported.");
  return normalizedMethods.includes(upper) ? upper : method;
}

export class Request extends Body {
  #url; #method; #headers; #signal; #redirect; #credentials; #mode; #cache; #referrer; #integrity; #keepalive;

  constructor(input, init = {}) {
    super();
    init = init === null || init === undefined ? {} : init;
    const from = input instanceof Request ? input : null;
    if (from === null) {
      let parsed;
      try { parsed = new URLClass(String(input)); } catch (e) { throw new TypeError('Failed to parse URL from ' + String(input)); }
      if (parsed.username || parsed.password)
        throw new TypeError('Request cannot be constructed from a URL that includes credentials: ' + String(input));
      this.#url = parsed.href;
    } else {
      this.#url = from.url;
    }
    this.#method = init.method !== undefined ? normalizeMethod(init.method) : from ? from.method : 'GET';
    this.#headers = new Headers(init.headers !== undefined ? init.headers : from ? from.headers : undefined);
    this.#redirect = init.redirect !== undefined ? String(init.redirect) : from ? from.redirect : 'follow';
    this.#credentials = init.credentials !== undefined ? String(init.credentials) : from ? from.credentials : 'same-origin';
    this.#mode = init.mode !== undefined ? String(init.mode) : from ? from.mode : 'cors';
    this.#cache = init.cache !== undefined ? String(init.cache) : from ? from.cache : 'default';
    this.#referrer = init.referrer !== undefined ? String(init.referrer) : from ? from.referrer : 'about:client';
    this.#integrity = init.integrity !== undefined ? String(init.integrity) : from ? from.integrity : '';
    this.#keepalive = init.keepalive !== undefined ? Boolean(init.keepalive) : from ? from.keepalive : false;
    const signal = init.signal !== undefined ? init.signal : from ? from.signal : null;
    if (signal !== null && !(signal instanceof AbortSignal))
      throw new TypeError("Failed to construct 'Request': member signal is not of type AbortSignal.");
    // Follows the given signal, as Fetch's "following signal" does.
    this.#signal = signal === null ? new AbortController().signal : AbortSignal.any([signal]);
    if (init.body !== undefined && init.body !== null) {
      if (this.#method === 'GET' || this.#method === 'HEAD')
        throw new TypeError('Request with GET/HEAD method cannot have body.');
      this._initBody(init.body, this.#headers);
    } else if (from !== null) {
      from._cloneBodyInto(this);
    }
  }
  get url() { return this.#url; }
  get method() { return this.#method; }
  get headers() { return this.#headers; }
  get signal() { return this.#signal; }
  get redirect() { return this.#redirect; }
  get credentials() { return this.#credentials; }
  get mode() { return this.#mode; }
  get cache() { return this.#cache; }
  get referrer() { return this.#referrer === 'about:client' ? 'about:client' : this.#referrer; }
  get integrity() { return this.#integrity; }
  get keepalive() { return this.#keepalive; }
  get destination() { return ''; }
  clone() {
    if (this.bodyUsed) throw new TypeError('Request body is already used');
    return new Request(this);
  }
}
Object.defineProperty(Request.prototype, Symbol.toStringTag, { value: 'Request', configurable: true });

const redirectStatuses = [301, 302, 303, 307, 308];
const kInternal = Symbol('Response.internal');

export class Response extends Body {
  #status; #statusText; #headers; #type = 'default'; #url = '';

  constructor(body = null, init = {}) {
    super();
    init = init === null || init === undefined ? {} : init;
    const status = init.status !== undefined ? Number(init.status) : 200;
    if (init[kInternal] !== 'error' && (!Number.isInteger(status) || status < 200 || status > 599))
      throw new RangeError('init["status"] must be in the range of 200 to 599, inclusive.');
    const statusText = init.statusText !== undefined ? String(init.statusText) : '';
    if (/[^\t\x20-\x7e\x80-\xff]/.test(statusText)) throw new TypeError('Invalid statusText');
    this.#status = status;
    this.#statusText = statusText;
    this.#headers = new Headers(init.headers);
    if (body !== null && body !== undefined) {
      if ([101, 103, 204, 205, 304].includes(status)) throw new TypeError('Response constructor: Invalid response status code ' + status);
      this._initBody(body, this.#headers);
    }
    if (init[kInternal] === 'error') this.#type = 'error';
  }
  get status() { return this.#status; }
  get statusText() { return this.#statusText; }
  get ok() { return this.#status >= 200 && this.#status <= 299; }
  get headers() { return this.#headers; }
  get type() { return this.#type; }
  get url() { return this.#url; }
  get redirected() { return false; }
  clone() {
    if (this.bodyUsed) throw new TypeError('Response.clone: Body has already been consumed.');
    const copy = new Response(null, { status: this.#status === 0 ? 200 : this.#status, statusText: this.#statusText, headers: this.#headers });
    copy.#status = this.#status;
    copy.#type = this.#type;
    this._cloneBodyInto(copy);
    return copy;
  }
  static json(data, init = {}) {
    const text = JSON.stringify(data);
    if (text === undefined) throw new TypeError('Value is not JSON serializable');
    const response = new Response(text, init);
    const given = init === null || init === undefined ? undefined : init.headers;
    if (!new Headers(given).has('content-type')) response.headers.set('content-type', 'application/json');
    return response;
  }
  static error() {
    const response = new Response(null, { [kInternal]: 'error', status: 200 });
    response.#status = 0;
    return response;
  }
  static redirect(url, status = 302) {
    const parsed = new URLClass(String(url));
    if (!redirectStatuses.includes(status)) throw new RangeError('Invalid status code ' + status);
    return new Response(null, { status, headers: { location: parsed.href } });
  }
}
Object.defineProperty(Response.prototype, Symbol.toStringTag, { value: 'Response', configurable: true });
