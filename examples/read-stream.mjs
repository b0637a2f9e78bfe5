// The text of each chunk of a render's html stream (a ReadableStream or an async iterable of
// strings or Uint8Arrays), read as the ssrd worker reads it: bytes decoded as UTF-8, a character
// split across chunks joined. Used by write-expected.mjs and check-bundle.mjs.
export async function readStream(stream) {
  const decoder = new TextDecoder();
  const text = (value) => (typeof value === 'string' ? value : decoder.decode(value, { stream: true }));
  const chunks = [];
  if (typeof stream.getReader === 'function') {
    const reader = stream.getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) chunks.push(text(r.value));
  } else {
    for await (const value of stream) chunks.push(text(value));
  }
  const rest = decoder.decode();
  if (rest) chunks.push(rest);
  return chunks;
}
