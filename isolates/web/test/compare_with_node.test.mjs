// The web APIs of isolates/web/src, run here in Node, against Node 20's own (undici's
// Request/Response, Node's Blob, atob/btoa, web streams, TextEncoderStream/TextDecoderStream,
// crypto): every scenario runs once with each set of classes and must give the same text.
// Run by scripts/test (node --test isolates/web/test). The native halves (getrandom, V8's
// serializer) are tested inside a real worker by tests/snapshots/web_streams_test.cc.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { URL as WhatwgURL, URLSearchParams as WhatwgURLSearchParams } from 'whatwg-url';
import * as streams from '../src/streams.js';
import { TextDecoderStream, TextEncoderStream } from '../src/text_streams.js';
import { Blob, File } from '../src/blob.js';
import { Request, Response, setUrlClasses } from '../src/request_response.js';
import { Headers } from '../src/headers.js';
import { atob, btoa } from '../src/base64.js';
import { crypto as ssrdCrypto, setRandomSource } from '../src/crypto.js';
import { structuredClone as ssrdStructuredClone, setCloner } from '../src/structured_clone.js';

setUrlClasses(WhatwgURL, WhatwgURLSearchParams);
setRandomSource((array) => globalThis.crypto.getRandomValues(array));

const ours = {
  Request, Response, Headers, Blob, File, URLSearchParams: WhatwgURLSearchParams, atob, btoa,
  ReadableStream: streams.ReadableStream, WritableStream: streams.WritableStream,
  TransformStream: streams.TransformStream, TextEncoderStream, TextDecoderStream,
  ByteLengthQueuingStrategy: streams.ByteLengthQueuingStrategy,
  CountQueuingStrategy: streams.CountQueuingStrategy, crypto: ssrdCrypto,
};
const node = {
  Request, Response, Headers, Blob, File, URLSearchParams, atob, btoa, ReadableStream,
  WritableStream, TransformStream, TextEncoderStream, TextDecoderStream, ByteLengthQueuingStrategy,
  CountQueuingStrategy, crypto,
};
for (const name of Object.keys(node)) node[name] = globalThis[name];

// What a scenario gave: its value, or the error's class, name and message.
async function outcome(run, env) {
  try {
    const value = await run(env);
    return 'ok ' + (typeof value === 'string' ? value : JSON.stringify(value));
  } catch (e) {
    return 'threw ' + e.constructor.name + ' ' + e.name + ': ' + e.message;
  }
}

async function sameAsNode(scenarios) {
  for (const [label, run] of Object.entries(scenarios)) {
    assert.equal(await outcome(run, ours), await outcome(run, node), label);
  }
}

const readAll = async (stream) => {
  const out = [];
  for await (const chunk of stream) out.push(chunk instanceof Uint8Array ? Array.from(chunk) : chunk);
  return out;
};

test('Request and Response bodies behave as undici', () => sameAsNode({
  'string': async ({ Response }) => { const r = new Response('héllo'); return [r.headers.get('content-type'), await r.text(), r.bodyUsed]; },
  'ArrayBuffer': ({ Response }) => new Response(new Uint8Array([104, 105]).buffer).text(),
  'typed array': ({ Response }) => new Response(new Uint16Array([0x4241])).text(),
  'DataView slice': ({ Response }) => new Response(new DataView(new Uint8Array([65, 66, 67]).buffer, 1, 2)).text(),
  'URLSearchParams': async ({ Response, URLSearchParams }) => { const r = new Response(new URLSearchParams('a=1&b=x y')); return [r.headers.get('content-type'), await r.text()]; },
  'Blob with type': async ({ Response, Blob }) => { const r = new Response(new Blob(['q'], { type: 'A/B' })); return [r.headers.get('content-type'), await r.text()]; },
  'Blob without type': async ({ Response, Blob }) => { const r = new Response(new Blob(['q'])); return [r.headers.get('content-type'), await r.text()]; },
  'stream': async ({ Response, ReadableStream }) => {
    const r = new Response(new ReadableStream({ start(c) { c.enqueue(new Uint8Array([104])); c.enqueue(new Uint8Array([105])); c.close(); } }));
    return [r.headers.get('content-type'), r.bodyUsed, await r.text(), r.bodyUsed];
  },
  'stream of strings': ({ Response, ReadableStream }) => new Response(new ReadableStream({ start(c) { c.enqueue('no'); c.close(); } })).text(),
  'locked stream': ({ Response, ReadableStream }) => { const s = new ReadableStream(); s.getReader(); return new Response(s); },
  'body is one stream': ({ Response }) => { const r = new Response('abc'); const b = r.body; return [b === r.body, r.bodyUsed, b.locked]; },
  'body read by a reader': async ({ Response }) => {
    const r = new Response('x');
    const reader = r.body.getReader();
    const a = await reader.read();
    const b = await reader.read();
    return [a.value.constructor.name, Array.from(a.value), b.done, r.bodyUsed];
  },
  'locked body': ({ Response }) => { const r = new Response('abc'); r.body.getReader(); return r.text(); },
  'clone of locked body': ({ Response }) => { const r = new Response('abc'); r.body.getReader(); return r.clone(); },
  'clone after read': async ({ Response }) => { const r = new Response('abc'); await r.text(); return r.clone(); },
  'read twice': async ({ Response }) => { const r = new Response('abc'); await r.text(); return r.text(); },
  'body after text()': async ({ Response }) => { const r = new Response('abc'); await r.text(); return [r.body === null, r.body.locked, r.bodyUsed]; },
  'no body': async ({ Response }) => { const r = new Response(null); return [r.body, r.bodyUsed, await r.text(), r.bodyUsed]; },
  'clone of bytes': async ({ Response }) => { const r = new Response('x'); const c = r.clone(); return [await c.text(), r.bodyUsed, await r.text()]; },
  'clone of stream': async ({ Response, ReadableStream }) => {
    const r = new Response(new ReadableStream({ start(c) { c.enqueue(new Uint8Array([104, 105])); c.close(); } }));
    const c = r.clone();
    return [await c.text(), await r.text(), r.bodyUsed];
  },
  'arrayBuffer': async ({ Response }) => Array.from(new Uint8Array(await new Response('abc').arrayBuffer())),
  'bytes': async ({ Response }) => { const b = await new Response('abc').bytes(); return [b.constructor.name, Array.from(b)]; },
  'json': ({ Response }) => new Response('{"a":[1,2]}').json(),
  'bad json': ({ Response }) => new Response('{bad').json(),
  'blob': async ({ Response }) => { const b = await new Response('xy').blob(); return [b.type, b.size, await b.text()]; },
  'Response.json': async ({ Response }) => { const r = Response.json({ ok: true }, { status: 404 }); return [r.status, r.headers.get('content-type'), await r.text()]; },
  'Response.json own type': ({ Response }) => Response.json(1, { headers: { 'content-type': 'x/y' } }).headers.get('content-type'),
  'Response.json undefined': ({ Response }) => Response.json(undefined),
  'Response.redirect': ({ Response }) => { const r = Response.redirect('http://a/x?y', 301); return [r.status, r.headers.get('location'), r.body]; },
  'Response.redirect relative': ({ Response }) => Response.redirect('/x'),
  'Response.redirect status': ({ Response }) => Response.redirect('http://a/', 200),
  'Response.error': ({ Response }) => { const r = Response.error(); return [r.type, r.status, r.ok, r.body]; },
  'request moves its body': async ({ Request }) => {
    const a = new Request('http://x/', { method: 'POST', body: 'hi' });
    const b = new Request(a);
    return [a.bodyUsed, await b.text()];
  },
  'request from a used request': async ({ Request }) => { const a = new Request('http://x/', { method: 'POST', body: 'hi' }); await a.text(); return new Request(a); },
  'request clone': async ({ Request }) => { const a = new Request('http://x/', { method: 'POST', body: 'hi' }); const b = a.clone(); return [a.bodyUsed, await b.text(), await a.text()]; },
  'request stream body needs duplex': ({ Request, ReadableStream }) => new Request('http://x/', { method: 'POST', body: new ReadableStream() }),
  'request stream body': async ({ Request, ReadableStream }) => {
    const body = new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode('up')); c.close(); } });
    const r = new Request('http://x/', { method: 'POST', body, duplex: 'half' });
    return [r.duplex, await r.text()];
  },
}));

test('Blob and File behave as Node', () => sameAsNode({
  'parts and type': async ({ Blob }) => { const b = new Blob(['a\nb', new Uint8Array([65]), 'é', new Blob(['z'])], { type: 'Text/Plain' }); return [b.size, b.type, await b.text()]; },
  'non-ASCII type': ({ Blob }) => new Blob(['a'], { type: 'tëxt' }).type,
  'numbers': ({ Blob }) => new Blob([1, 2]).text(),
  'slice': ({ Blob }) => new Blob(['héllo']).slice(1, 3).text(),
  'negative slice': ({ Blob }) => new Blob(['héllo']).slice(-3).size,
  'slice type': ({ Blob }) => new Blob(['héllo']).slice(1, 3, 'X/Y').type,
  'slice past the end': async ({ Blob }) => { const s = new Blob(['abc']).slice(2, 99); return [s.size, await s.text()]; },
  // (Not a lone \r: Node leaves it, the File API standard and browsers make it \n, as Blob does.)
  'native endings': ({ Blob }) => new Blob(['a\nb\r\nc'], { endings: 'native' }).text(),
  'arrayBuffer': async ({ Blob }) => Array.from(new Uint8Array(await new Blob(['hi']).arrayBuffer())),
  'stream': async ({ Blob }) => { const chunks = []; for await (const c of new Blob(['hi']).stream()) chunks.push(...c); return chunks; },
  'toString': ({ Blob }) => [String(new Blob([])), Object.prototype.toString.call(new Blob([]))],
  'file': async ({ File }) => { const f = new File(['ab'], 'f.txt', { type: 'text/plain', lastModified: 5 }); return [f.name, f.size, f.type, f.lastModified, await f.text()]; },
}));

test('web streams behave as Node', () => sameAsNode({
  'pipeThrough and async iteration': async ({ ReadableStream, TransformStream }) => {
    const upper = new TransformStream({ transform(chunk, c) { c.enqueue(chunk.toUpperCase()); } });
    const source = new ReadableStream({ start(c) { c.enqueue('a'); c.enqueue('b'); c.close(); } });
    return readAll(source.pipeThrough(upper));
  },
  'pipeTo a WritableStream': async ({ ReadableStream, WritableStream }) => {
    const seen = [];
    await new ReadableStream({ start(c) { c.enqueue(1); c.enqueue(2); c.close(); } })
      .pipeTo(new WritableStream({ write(chunk) { seen.push(chunk); }, close() { seen.push('closed'); } }));
    return seen;
  },
  'pipeTo aborted': async ({ ReadableStream, WritableStream }) => {
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    return new ReadableStream().pipeTo(new WritableStream(), { signal: controller.signal });
  },
  'tee': async ({ ReadableStream }) => {
    const [a, b] = new ReadableStream({ start(c) { c.enqueue('x'); c.close(); } }).tee();
    return [await readAll(a), await readAll(b)];
  },
  'values() with preventCancel': async ({ ReadableStream }) => {
    const s = new ReadableStream({ start(c) { c.enqueue(1); c.enqueue(2); } });
    for await (const v of s.values({ preventCancel: true })) { if (v === 1) break; }
    return [s.locked, (await s.getReader().read()).value];
  },
  'ReadableStream.from': ({ ReadableStream }) => readAll(ReadableStream.from((function* () { yield 1; yield 2; })())),
  'cancel reason reaches the source': async ({ ReadableStream }) => {
    let reason;
    await new ReadableStream({ cancel(r) { reason = r; } }).cancel('why');
    return reason;
  },
  'errored stream': async ({ ReadableStream }) => readAll(new ReadableStream({ start(c) { c.error(new TypeError('bad')); } })),
  'byte stream': async ({ ReadableStream }) => {
    const s = new ReadableStream({ type: 'bytes', pull(c) { c.enqueue(new Uint8Array([1, 2])); c.close(); } }, { highWaterMark: 0 });
    return readAll(s);
  },
  'writer': async ({ WritableStream, CountQueuingStrategy }) => {
    const seen = [];
    const w = new WritableStream({ write(c) { seen.push(c); } }, new CountQueuingStrategy({ highWaterMark: 2 })).getWriter();
    const size = w.desiredSize;
    await w.write('a');
    await w.close();
    return [size, seen];
  },
  'queuing strategies': ({ ByteLengthQueuingStrategy, CountQueuingStrategy }) => [new ByteLengthQueuingStrategy({ highWaterMark: 5 }).size(new Uint8Array(3)), new CountQueuingStrategy({ highWaterMark: 5 }).highWaterMark],
}));

test('TextEncoderStream and TextDecoderStream behave as Node', () => sameAsNode({
  'encoder joins surrogate pairs across chunks': async ({ TextEncoderStream }) => {
    const s = new TextEncoderStream();
    const w = s.writable.getWriter();
    w.write('a\uD83D'); w.write('\uDE00b'); w.write(''); w.write('\uD800'); w.close();
    return readAll(s.readable);
  },
  'encoder stringifies': async ({ TextEncoderStream }) => {
    const s = new TextEncoderStream();
    const w = s.writable.getWriter();
    w.write(5); w.close();
    return readAll(s.readable);
  },
  'decoder joins split characters': async ({ TextDecoderStream }) => {
    const s = new TextDecoderStream();
    const w = s.writable.getWriter();
    w.write(new Uint8Array([0xE2, 0x82])); w.write(new Uint8Array([0xAC, 0x41])); w.write(new Uint8Array([0xE2])); w.close();
    return readAll(s.readable);
  },
  'decoder drops the BOM': async ({ TextDecoderStream }) => {
    const s = new TextDecoderStream();
    const w = s.writable.getWriter();
    w.write(new Uint8Array([0xEF, 0xBB])); w.write(new Uint8Array([0xBF, 0x41])); w.close();
    return readAll(s.readable);
  },
  'fatal decoder errors': async ({ TextDecoderStream }) => {
    const s = new TextDecoderStream('utf-8', { fatal: true });
    const w = s.writable.getWriter();
    w.write(new Uint8Array([0xFF])).catch(() => {}); w.close().catch(() => {});
    try { await readAll(s.readable); return 'no error'; } catch (e) { return e.constructor.name; }
  },
  'attributes': ({ TextDecoderStream, TextEncoderStream }) => {
    const d = new TextDecoderStream('utf-8', { fatal: true });
    return [d.encoding, d.fatal, d.ignoreBOM, new TextEncoderStream().encoding];
  },
  'unsupported label': ({ TextDecoderStream }) => { try { new TextDecoderStream('nope'); return 'made'; } catch (e) { return e.constructor.name; } },
}));

test('atob and btoa agree with Node on every input of a corpus', () => {
  const pieces = ['A', 'b', 'z', '0', '+', '/', '=', ' ', '\n', '\t', '-', '_', '*', 'é', '\u0100', '\f'];
  let seed = 7;
  const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
  const inputs = ['', 'YQ', 'YR==', 'ab==', 'ab===', 'ab=c', 'a', 'abc', 'ab c d', 'Zm9v\nYmFy', '=', '==', 'a==', 'a===', 'abcd='];
  for (let i = 0; i < 20000; i++) {
    let s = '';
    const length = next() % 11;
    for (let k = 0; k < length; k++) s += pieces[next() % pieces.length];
    inputs.push(s);
  }
  const run = (f, x) => { try { return 'ok ' + JSON.stringify(f(x)); } catch (e) { return e.name + ' ' + e.code + ' ' + e.message; } };
  for (const input of inputs) {
    assert.equal(run(atob, input), run(globalThis.atob, input), 'atob ' + JSON.stringify(input));
    assert.equal(run(btoa, input), run(globalThis.btoa, input), 'btoa ' + JSON.stringify(input));
  }
  for (const value of [undefined, null, 12, true, { toString: () => 'YQ==' }]) {
    assert.equal(run(atob, value), run(globalThis.atob, value));
    assert.equal(run(btoa, value), run(globalThis.btoa, value));
  }
  assert.equal(run(() => atob()), run(() => globalThis.atob()));
  assert.equal(run(() => btoa()), run(() => globalThis.btoa()));
});

test('crypto refuses what Node refuses, with the same errors', () => sameAsNode({
  'float array': ({ crypto }) => crypto.getRandomValues(new Float32Array(1)),
  'DataView': ({ crypto }) => crypto.getRandomValues(new DataView(new ArrayBuffer(1))),
  'plain array': ({ crypto }) => crypto.getRandomValues([]),
  'nothing': ({ crypto }) => crypto.getRandomValues(),
  'over the quota': ({ crypto }) => crypto.getRandomValues(new Uint8Array(65537)),
  'the quota': ({ crypto }) => crypto.getRandomValues(new Uint8Array(65536)).length,
  'BigInt array': ({ crypto }) => crypto.getRandomValues(new BigInt64Array(2)).length,
  'returns its argument': ({ crypto }) => { const a = new Uint32Array(3); return crypto.getRandomValues(a) === a; },
  'randomUUID format': ({ crypto }) => /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(crypto.randomUUID()),
}));

test('structuredClone checks its arguments as Node does', () => {
  setCloner((value) => value);
  const run = (f) => { try { f(); return 'ok'; } catch (e) { return e.constructor.name + ' ' + e.code + ' ' + e.message; } };
  const cases = [
    (clone) => clone(),
    (clone) => clone(1, 1),
    (clone) => clone(1, { transfer: 5 }),
    (clone) => clone(1, { transfer: [{}] }),
    (clone) => clone(1, null),
    (clone) => clone(1, { transfer: [] }),
  ];
  for (const f of cases) assert.equal(run(() => f(ssrdStructuredClone)), run(() => f(globalThis.structuredClone)), String(f));
});

test('the polyfill still keeps the [[disturbed]] slot where body.js reads it', async () => {
  const s = new streams.ReadableStream({ start(c) { c.enqueue(1); } });
  assert.equal(streams.isDisturbed(s), false);
  await s.getReader().read();
  assert.equal(streams.isDisturbed(s), true);
  const cancelled = new streams.ReadableStream();
  await cancelled.cancel();
  assert.equal(streams.isDisturbed(cancelled), true);
});
