// Blob and File (File API standard), held in memory: a Blob is an immutable run of bytes, and a
// slice shares its parent's bytes.
import { streamOfBytes } from './streams.js';

let bytesOf;  // blob => its Uint8Array (never handed out: readers get copies)

// Blob's type: lower case, or '' when it has a character outside U+0020..U+007E.
function normalizeType(type) {
  const text = String(type);
  return /^[\x20-\x7e]*$/.test(text) ? text.toLowerCase() : '';
}

function partBytes(part, endings, encoder) {
  if (part instanceof Blob) return bytesOf(part);
  if (part instanceof ArrayBuffer) return new Uint8Array(part.slice(0));
  if (ArrayBuffer.isView(part))
    return new Uint8Array(part.buffer.slice(part.byteOffset, part.byteOffset + part.byteLength));
  let text = String(part);
  // "native" line endings are \n on the systems ssrd runs on.
  if (endings === 'native') text = text.replace(/\r\n?/g, '\n');
  return encoder.encode(text);
}

function relativeIndex(value, size) {
  if (value === undefined) return undefined;
  let n = Math.trunc(Number(value));
  if (Number.isNaN(n)) n = 0;
  return n < 0 ? Math.max(size + n, 0) : Math.min(n, size);
}

export class Blob {
  #bytes;
  #type;

  constructor(blobParts = undefined, options = undefined) {
    let endings = 'transparent';
    let type = '';
    if (options !== undefined && options !== null) {
      if (typeof options !== 'object' && typeof options !== 'function')
        throw new TypeError("Failed to construct 'Blob': The provided value is not of type 'BlobPropertyBag'.");
      if (options.endings !== undefined) {
        endings = String(options.endings);
        if (endings !== 'transparent' && endings !== 'native')
          throw new TypeError("Failed to construct 'Blob': The provided value '" + endings +
                              "' is not a valid enum value of type EndingType.");
      }
      if (options.type !== undefined) type = normalizeType(options.type);
    }
    const parts = [];
    if (blobParts !== undefined) {
      if ((typeof blobParts !== 'object' && typeof blobParts !== 'function') || blobParts === null ||
          typeof blobParts[Symbol.iterator] !== 'function')
        throw new TypeError("Failed to construct 'Blob': The provided value cannot be converted to a sequence.");
      const encoder = new TextEncoder();
      for (const part of blobParts) parts.push(partBytes(part, endings, encoder));
    }
    if (parts.length === 1) {
      this.#bytes = parts[0];
    } else {
      let total = 0;
      for (const p of parts) total += p.byteLength;
      this.#bytes = new Uint8Array(total);
      let at = 0;
      for (const p of parts) { this.#bytes.set(p, at); at += p.byteLength; }
    }
    this.#type = type;
  }

  get size() { return this.#bytes.byteLength; }
  get type() { return this.#type; }

  slice(start = undefined, end = undefined, contentType = undefined) {
    const size = this.#bytes.byteLength;
    const from = relativeIndex(start, size) ?? 0;
    const to = relativeIndex(end, size) ?? size;
    const blob = new Blob();
    blob.#bytes = this.#bytes.subarray(from, Math.max(from, to));
    blob.#type = contentType === undefined ? '' : normalizeType(contentType);
    return blob;
  }
  text() { return Promise.resolve(new TextDecoder().decode(this.#bytes)); }
  arrayBuffer() { return Promise.resolve(this.#bytes.slice().buffer); }
  bytes() { return Promise.resolve(this.#bytes.slice()); }
  stream() { return streamOfBytes(this.#bytes.slice()); }

  static { bytesOf = (blob) => blob.#bytes; }
}
Object.defineProperty(Blob.prototype, Symbol.toStringTag, { value: 'Blob', configurable: true });

export class File extends Blob {
  #name;
  #lastModified;
  constructor(fileBits, fileName, options = undefined) {
    if (arguments.length < 2)
      throw new TypeError("Failed to construct 'File': 2 arguments required, but only " + arguments.length + ' present.');
    super(fileBits, options);
    this.#name = String(fileName);
    const lastModified = options !== undefined && options !== null ? options.lastModified : undefined;
    this.#lastModified = lastModified === undefined ? Date.now() : Math.trunc(Number(lastModified)) || 0;
  }
  get name() { return this.#name; }
  get lastModified() { return this.#lastModified; }
  get webkitRelativePath() { return ''; }
}
Object.defineProperty(File.prototype, Symbol.toStringTag, { value: 'File', configurable: true });

// The bytes of `blob`, shared: callers copy before handing them out.
export function blobBytes(blob) { return bytesOf(blob); }
