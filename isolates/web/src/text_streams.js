// TextEncoderStream and TextDecoderStream (Encoding standard): a TransformStream around the
// runtime's TextEncoder/TextDecoder (UTF-8 only, as they are).
import { TransformStream } from './streams.js';

const toStringTag = (C, name) =>
  Object.defineProperty(C.prototype, Symbol.toStringTag, { value: name, configurable: true });

export class TextEncoderStream {
  #transform;
  constructor() {
    const encoder = new TextEncoder();
    // A chunk may end in the first half of a surrogate pair that the next chunk completes.
    let pendingHigh = '';
    this.#transform = new TransformStream({
      transform(chunk, controller) {
        let text = pendingHigh + String(chunk);
        pendingHigh = '';
        const last = text.charCodeAt(text.length - 1);
        if (last >= 0xd800 && last <= 0xdbff) {
          pendingHigh = text.slice(-1);
          text = text.slice(0, -1);
        }
        if (text.length > 0) controller.enqueue(encoder.encode(text));
      },
      flush(controller) {
        // A lone high surrogate at the end becomes U+FFFD, as encode() would make it.
        if (pendingHigh !== '') controller.enqueue(new Uint8Array([0xef, 0xbf, 0xbd]));
      },
    });
  }
  get encoding() { return 'utf-8'; }
  get readable() { return this.#transform.readable; }
  get writable() { return this.#transform.writable; }
}
toStringTag(TextEncoderStream, 'TextEncoderStream');

export class TextDecoderStream {
  #decoder;
  #transform;
  constructor(label = 'utf-8', options = {}) {
    const decoder = new TextDecoder(label, options);
    this.#decoder = decoder;
    this.#transform = new TransformStream({
      transform(chunk, controller) {
        const text = decoder.decode(chunk, { stream: true });
        if (text.length > 0) controller.enqueue(text);
      },
      flush(controller) {
        const text = decoder.decode();
        if (text.length > 0) controller.enqueue(text);
      },
    });
  }
  get encoding() { return this.#decoder.encoding; }
  get fatal() { return this.#decoder.fatal; }
  get ignoreBOM() { return this.#decoder.ignoreBOM; }
  get readable() { return this.#transform.readable; }
  get writable() { return this.#transform.writable; }
}
toStringTag(TextDecoderStream, 'TextDecoderStream');
