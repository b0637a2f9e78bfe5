// Renders that return their html as a stream, for tests/integration/streaming_test.cc.
// Components:
//   Pieces {parts, delay_ms}: an async generator yielding each string of parts, waiting delay_ms
//     (a timer) before each; head and status are set on the result while it streams.
//   WaitsAfterFirst {}: a ReadableStream-like object (getReader) that gives "<p>first</p>" at
//     once and then waits for a timer of 60 s: the first bytes must reach the client before it.
//   SplitBytes {}: Uint8Array chunks that cut the UTF-8 of "é" and "🙂" in two.
//   Big {pieces, size}: `pieces` strings of `size` "x" each.
//   ThrowsMidway {}: yields one piece, then throws.
//   BadChunk {}: yields a number.
//   Plain {}: a plain string (no stream).
//   Whole {}: the result itself is the async iterable (no html, head or status).
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function* pieces(parts, delayMs, result) {
  for (const part of parts) {
    if (delayMs > 0) await sleep(delayMs);
    yield part;
  }
  result.head = '<title>streamed</title>';
  result.status = 201;
  result.data = { parts: parts.length };
}

function bytesReader(chunks) {
  let i = 0;
  return {
    getReader() {
      return { read: async () => (i < chunks.length ? { done: false, value: chunks[i++] } : { done: true }) };
    },
  };
}

function waitsAfterFirst() {
  let step = 0;
  return {
    getReader() {
      return {
        read() {
          step += 1;
          if (step === 1) return Promise.resolve({ done: false, value: '<p>first</p>' });
          if (step === 2) return sleep(60000).then(() => ({ done: false, value: '<p>late</p>' }));
          return Promise.resolve({ done: true });
        },
      };
    },
  };
}

export function render({ component, props }) {
  switch (component) {
    case 'Pieces': {
      const result = {};
      result.html = pieces(props.parts ?? [], props.delay_ms ?? 0, result);
      return result;
    }
    case 'WaitsAfterFirst':
      return { html: waitsAfterFirst() };
    case 'SplitBytes': {
      const bytes = new TextEncoder().encode('<b>é🙂</b>');
      // '<b>' is 3 bytes, é is 2 (cut after its first), 🙂 is 4 (cut after its second).
      return { html: bytesReader([bytes.slice(0, 4), bytes.slice(4, 7), bytes.slice(7)]) };
    }
    case 'Big': {
      const piece = 'x'.repeat(props.size);
      return { html: (async function* () { for (let i = 0; i < props.pieces; i++) yield piece; })() };
    }
    case 'ThrowsMidway':
      return { html: (async function* () { yield '<p>before</p>'; await sleep(1); throw new Error('stream broke'); })() };
    case 'BadChunk':
      return { html: (async function* () { yield 42; })() };
    case 'Plain':
      return '<p>plain</p>';
    case 'Whole':
      return (async function* () { yield '<i>a</i>'; await sleep(1); yield '<i>b</i>'; })();
    default: {
      const error = new Error(`unknown component "${component}"`);
      error.code = 'not_found';
      throw error;
    }
  }
}
