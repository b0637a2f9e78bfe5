// Web streams (WHATWG Streams standard): web-streams-polyfill's ponyfill build, which touches no
// global, plus TextEncoderStream/TextDecoderStream (text_streams.js) and the two questions the
// fetch body needs answered about a stream that the standard keeps internal.
import {
  ByteLengthQueuingStrategy, CountQueuingStrategy, ReadableByteStreamController, ReadableStream,
  ReadableStreamBYOBReader, ReadableStreamBYOBRequest, ReadableStreamDefaultController,
  ReadableStreamDefaultReader, TransformStream, TransformStreamDefaultController, WritableStream,
  WritableStreamDefaultController, WritableStreamDefaultWriter,
} from 'web-streams-polyfill';

export {
  ByteLengthQueuingStrategy, CountQueuingStrategy, ReadableByteStreamController, ReadableStream,
  ReadableStreamBYOBReader, ReadableStreamBYOBRequest, ReadableStreamDefaultController,
  ReadableStreamDefaultReader, TransformStream, TransformStreamDefaultController, WritableStream,
  WritableStreamDefaultController, WritableStreamDefaultWriter,
};

export function isReadableStream(value) { return value instanceof ReadableStream; }

// The standard's [[disturbed]] slot (a read or cancel happened), which Response.bodyUsed reports.
// The polyfill keeps it as `_disturbed`; isolates/web/test checks that it still does.
export function isDisturbed(stream) { return stream._disturbed === true; }

// A stream that yields `bytes` (a Uint8Array, not copied: the caller gives up its copy) as one
// chunk, then closes.
export function streamOfBytes(bytes) {
  return new ReadableStream({
    type: 'bytes',
    start(controller) {
      if (bytes.byteLength > 0) controller.enqueue(bytes);
      controller.close();
    },
  });
}

// Reads `stream` to its end and returns its bytes joined in one Uint8Array. Every chunk must be a
// Uint8Array, as the Fetch standard asks of a body.
export async function readAllBytes(stream) {
  const reader = stream.getReader();
  const chunks = [];
  let total = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    if (!(value instanceof Uint8Array)) {
      const error = new TypeError('Received non-Uint8Array chunk');
      reader.cancel(error).catch(() => {});
      throw error;
    }
    chunks.push(value);
    total += value.byteLength;
  }
  if (chunks.length === 1) return chunks[0];
  const joined = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) { joined.set(chunk, at); at += chunk.byteLength; }
  return joined;
}
