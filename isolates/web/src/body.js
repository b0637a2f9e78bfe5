// The body of a Request or Response (Fetch standard, "Body mixin"). A body made from bytes (a
// string, BufferSource, Blob or URLSearchParams) stays bytes until `.body` asks for a stream, so
// text()/json() on it never build one; a body made from a ReadableStream is read through it.
import { isDisturbed, isReadableStream, readAllBytes, streamOfBytes } from './streams.js';
import { Blob, blobBytes } from './blob.js';

let URLSearchParamsClass;
export function setUrlSearchParamsClass(params) { URLSearchParamsClass = params; }

// Returns {bytes, stream, type} for a body init (exactly one of bytes and stream set), or null.
function extractBody(init) {
  if (init === undefined || init === null) return null;
  const bytes = (b, type = null) => ({ bytes: b, stream: null, type });
  if (typeof init === 'string') return bytes(new TextEncoder().encode(init), 'text/plain;charset=UTF-8');
  if (init instanceof ArrayBuffer) return bytes(new Uint8Array(init.slice(0)));
  if (ArrayBuffer.isView(init))
    return bytes(new Uint8Array(init.buffer.slice(init.byteOffset, init.byteOffset + init.byteLength)));
  if (init instanceof Blob) return bytes(blobBytes(init), init.type === '' ? null : init.type);
  if (URLSearchParamsClass && init instanceof URLSearchParamsClass)
    return bytes(new TextEncoder().encode(init.toString()), 'application/x-www-form-urlencoded;charset=UTF-8');
  if (isReadableStream(init)) {
    if (init.locked || isDisturbed(init)) throw new TypeError('Response body object should not be disturbed or locked');
    return { bytes: null, stream: init, type: null };
  }
  return bytes(new TextEncoder().encode(String(init)), 'text/plain;charset=UTF-8');
}

const unusable = () => new TypeError('Body is unusable: Body has already been read');

// Internal operations of Request and Response, kept off their prototypes.
export let initBody;     // (target, init, headers) => {stream: boolean} | null; sets content-type
export let moveBody;     // (from, to): `to` takes the body; `from` is used from then on
export let cloneBody;    // (from, to): both read the same bytes (a tee for a stream)
export let bodyUnusable; // target => true when its body was read or is locked

export class Body {
  #bytes = null;   // Uint8Array while no stream was made; shared with clones, never mutated
  #stream = null;  // ReadableStream once there is one
  #used = false;   // read without a stream

  get body() {
    if (this.#stream === null && this.#bytes !== null) {
      // A copy: a reader may change the chunk, and clones share #bytes.
      this.#stream = streamOfBytes(this.#bytes.slice());
      this.#bytes = null;
    } else if (this.#stream === null && this.#used) {
      // Read without a stream: the stream it would have had, read to its end and still locked.
      this.#stream = streamOfBytes(new Uint8Array(0));
      this.#stream.getReader().read();
    }
    return this.#stream;
  }
  get bodyUsed() { return this.#used || (this.#stream !== null && isDisturbed(this.#stream)); }

  #consume() {
    if (bodyUnusable(this)) return Promise.reject(unusable());
    if (this.#stream !== null) return readAllBytes(this.#stream);
    const bytes = this.#bytes;
    if (bytes === null) return Promise.resolve(new Uint8Array(0));
    this.#used = true;
    this.#bytes = null;
    return Promise.resolve(bytes);
  }
  // Copies where the bytes may be shared (a clone's, a Blob's, a stream's chunk).
  arrayBuffer() { return this.#consume().then((b) => b.slice().buffer); }
  bytes() { return this.#consume().then((b) => b.slice()); }
  text() { return this.#consume().then((b) => new TextDecoder().decode(b)); }
  json() { return this.text().then((t) => JSON.parse(t)); }
  blob() {
    const type = this.headers.get('content-type');
    return this.#consume().then((b) => new Blob([b], { type: type === null ? '' : type }));
  }

  static {
    initBody = (target, init, headers) => {
      const extracted = extractBody(init);
      if (extracted === null) return null;
      target.#bytes = extracted.bytes;
      target.#stream = extracted.stream;
      if (extracted.type !== null && !headers.has('content-type')) headers.set('content-type', extracted.type);
      return { stream: extracted.stream !== null };
    };
    bodyUnusable = (target) =>
      target.bodyUsed || (target.#stream !== null && target.#stream.locked);
    moveBody = (from, to) => {
      to.#bytes = from.#bytes;
      to.#stream = from.#stream;
      if (from.#bytes !== null || from.#stream !== null) from.#used = true;
      from.#bytes = null;
      from.#stream = null;
    };
    cloneBody = (from, to) => {
      if (from.#stream !== null) [from.#stream, to.#stream] = from.#stream.tee();
      else to.#bytes = from.#bytes;
    };
  }
}
