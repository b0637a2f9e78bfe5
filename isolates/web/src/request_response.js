// Request and Response as data types (Fetch standard); their bodies are body.js.
import { Headers } from './headers.js';
import { AbortSignal, AbortController } from './abort.js';
import { isReadableStream } from './streams.js';
import { Body, bodyUnusable, cloneBody, initBody, moveBody, setUrlSearchParamsClass } from './body.js';

let URLClass;
export function setUrlClasses(url, params) { URLClass = url; setUrlSearchParamsClass(params); }

const forbiddenMethods = ['CONNECT', 'TRACE', 'TRACK'];
const normalizedMethods = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT'];
function normalizeMethod(method) {
  method = String(method);
  if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(method)) throw new TypeError("'" + method + "' is not a valid HTTP method.");
  const upper = method.toUpperCase();
  if (forbiddenMethods.includes(upper)) throw new TypeError("'" + method + "' HTTP method is unsupported.");
  return normalizedMethods.includes(upper) ? upper : method;
}

const kClone = Symbol('Request.clone');

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
      if (isReadableStream(init.body) && init.duplex !== 'half')
        throw new TypeError('RequestInit: duplex option is required when sending a body.');
      initBody(this, init.body, this.#headers);
    } else if (from !== null) {
      if (init[kClone] === true) {
        cloneBody(from, this);
      } else {
        if (bodyUnusable(from)) throw new TypeError('Cannot construct a Request with a Request object that has already been used.');
        moveBody(from, this);
      }
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
  get duplex() { return 'half'; }
  clone() {
    if (bodyUnusable(this)) throw new TypeError('Request.clone: Body has already been consumed.');
    return new Request(this, { [kClone]: true });
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
      initBody(this, body, this.#headers);
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
    if (bodyUnusable(this)) throw new TypeError('Response.clone: Body has already been consumed.');
    const copy = new Response(null, { status: this.#status === 0 ? 200 : this.#status, statusText: this.#statusText, headers: this.#headers });
    copy.#status = this.#status;
    copy.#type = this.#type;
    cloneBody(this, copy);
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
    let parsed;
    try { parsed = new URLClass(String(url)); } catch (e) { throw new TypeError('Failed to parse URL from ' + String(url)); }
    if (!redirectStatuses.includes(status)) throw new RangeError('Invalid status code ' + status);
    return new Response(null, { status, headers: { location: parsed.href } });
  }
}
Object.defineProperty(Response.prototype, Symbol.toStringTag, { value: 'Response', configurable: true });
