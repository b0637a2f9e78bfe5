// Exercises the worker's streams, bodies, Blob, atob/btoa, structuredClone and crypto
// (isolates/web and its native half); each component returns a text that
// tests/snapshots/web_streams_test.cc compares exactly. The bundle runs unchanged in Node 20
// (`node -e "import('./web_streams.mjs').then(m => m.render({component: 'Streams'})).then(console.log)"`),
// which is where the expected texts come from, except where the test says otherwise.
const loadTimeUuid = crypto.randomUUID();
const loadTimeStream = new ReadableStream({ start(c) { c.enqueue('made at load'); c.close(); } });

const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
const describe = (e) => e.constructor.name + ' ' + e.name + (e.code ? ' ' + e.code : '') + ': ' + e.message;
async function attempt(log, label, run) {
  try { log.push(label + ' ' + await run()); } catch (e) { log.push(label + ' threw ' + describe(e)); }
}
const collect = async (stream) => {
  const out = [];
  for await (const chunk of stream) out.push(chunk instanceof Uint8Array ? '[' + Array.from(chunk) + ']' : String(chunk));
  return out.join(',');
};

async function streams() {
  const log = [];
  const upper = new TransformStream({ transform(chunk, c) { c.enqueue(chunk.toUpperCase()); } });
  const source = new ReadableStream({ start(c) { c.enqueue('a'); c.enqueue('b'); c.close(); } });
  log.push('pipeThrough ' + await collect(source.pipeThrough(upper)));
  const written = [];
  await new ReadableStream({ start(c) { c.enqueue(1); c.enqueue(2); c.close(); } })
    .pipeTo(new WritableStream({ write(chunk) { written.push(chunk); }, close() { written.push('closed'); } }));
  log.push('pipeTo ' + written.join(','));
  const stop = new AbortController();
  stop.abort(new Error('stop'));
  await attempt(log, 'pipeTo aborted', () => new ReadableStream().pipeTo(new WritableStream(), { signal: stop.signal }));
  const [a, b] = new ReadableStream({ start(c) { c.enqueue('x'); c.close(); } }).tee();
  log.push('tee ' + await collect(a) + ' ' + await collect(b));
  const kept = new ReadableStream({ start(c) { c.enqueue(1); c.enqueue(2); } });
  for await (const v of kept.values({ preventCancel: true })) { if (v === 1) break; }
  log.push('values preventCancel ' + kept.locked + ' ' + (await kept.getReader().read()).value);
  log.push('asyncIterator ' + (ReadableStream.prototype[Symbol.asyncIterator] === ReadableStream.prototype.values));
  log.push('from ' + await collect(ReadableStream.from((function* () { yield 1; yield 2; })())));
  let reason;
  await new ReadableStream({ cancel(r) { reason = r; } }).cancel('why');
  log.push('cancel ' + reason);
  await attempt(log, 'errored', () => collect(new ReadableStream({ start(c) { c.error(new TypeError('bad')); } })));
  const bytes = new ReadableStream({ type: 'bytes', pull(c) { c.enqueue(new Uint8Array([1, 2])); c.close(); } }, { highWaterMark: 0 });
  log.push('bytes ' + await collect(bytes));
  const byob = new ReadableStream({ type: 'bytes', pull(c) { c.byobRequest.view[0] = 9; c.byobRequest.respond(1); c.close(); } });
  const read = await byob.getReader({ mode: 'byob' }).read(new Uint8Array(4));
  log.push('byob ' + Array.from(read.value) + ' ' + read.done);
  const seen = [];
  const writer = new WritableStream({ write(c) { seen.push(c); } }, new CountQueuingStrategy({ highWaterMark: 2 })).getWriter();
  const desired = writer.desiredSize;
  await writer.write('w');
  await writer.close();
  log.push('writer ' + desired + ' ' + seen.join(','));
  log.push('strategies ' + new ByteLengthQueuingStrategy({ highWaterMark: 5 }).size(new Uint8Array(3)) + ' ' +
           new CountQueuingStrategy({ highWaterMark: 4 }).highWaterMark);
  log.push('made at load ' + await collect(loadTimeStream));
  const encoder = new TextEncoderStream();
  const ew = encoder.writable.getWriter();
  ew.write('a\uD83D'); ew.write('\uDE00b'); ew.write(''); ew.write('\uD800'); ew.close();
  log.push('TextEncoderStream ' + await collect(encoder.readable));
  const decoder = new TextDecoderStream();
  const dw = decoder.writable.getWriter();
  dw.write(new Uint8Array([0xEF, 0xBB])); dw.write(new Uint8Array([0xBF, 0xE2, 0x82])); dw.write(new Uint8Array([0xAC, 0x41])); dw.write(new Uint8Array([0xE2])); dw.close();
  log.push('TextDecoderStream ' + await collect(decoder.readable));
  const fatal = new TextDecoderStream('utf-8', { fatal: true });
  const fw = fatal.writable.getWriter();
  fw.write(new Uint8Array([0xFF])).catch(() => {});
  fw.close().catch(() => {});
  await attempt(log, 'fatal', () => collect(fatal.readable));
  log.push('piped text ' + await collect(new Blob(['h\u00e9llo']).stream().pipeThrough(new TextDecoderStream())));
  return log.join('\n');
}

async function bodies() {
  const log = [];
  const r = new Response('h\u00e9llo');
  log.push('string ' + r.headers.get('content-type') + ' ' + await r.text() + ' ' + r.bodyUsed);
  log.push('ArrayBuffer ' + await new Response(new Uint8Array([104, 105]).buffer).text());
  log.push('DataView ' + await new Response(new DataView(new Uint8Array([65, 66, 67]).buffer, 1, 2)).text());
  const form = new Response(new URLSearchParams('a=1&b=x y'));
  log.push('URLSearchParams ' + form.headers.get('content-type') + ' ' + await form.text());
  const blob = new Response(new Blob(['q'], { type: 'A/B' }));
  log.push('Blob ' + blob.headers.get('content-type') + ' ' + await blob.text());
  const streamed = new Response(new ReadableStream({ start(c) { c.enqueue(new Uint8Array([104])); c.enqueue(new Uint8Array([105])); c.close(); } }));
  log.push('stream ' + streamed.headers.get('content-type') + ' ' + streamed.bodyUsed + ' ' + await streamed.text() + ' ' + streamed.bodyUsed);
  await attempt(log, 'stream of strings', () => new Response(new ReadableStream({ start(c) { c.enqueue('no'); c.close(); } })).text());
  const one = new Response('abc');
  const body = one.body;
  log.push('body ' + Object.prototype.toString.call(body) + ' ' + (body === one.body) + ' ' + one.bodyUsed);
  const reader = body.getReader();
  const first = await reader.read();
  log.push('read ' + first.value.constructor.name + ' ' + Array.from(first.value) + ' ' + (await reader.read()).done + ' used=' + one.bodyUsed);
  await attempt(log, 'text after read', () => one.text());
  const locked = new Response('abc');
  locked.body.getReader();
  await attempt(log, 'clone of locked', () => locked.clone());
  const twice = new Response('abc');
  await twice.text();
  await attempt(log, 'read twice', () => twice.text());
  const none = new Response(null);
  log.push('no body ' + none.body + ' ' + JSON.stringify(await none.text()) + ' ' + none.bodyUsed);
  const teed = new Response(new ReadableStream({ start(c) { c.enqueue(new Uint8Array([111, 107])); c.close(); } }));
  const copy = teed.clone();
  log.push('clone of stream ' + await copy.text() + ' ' + await teed.text());
  log.push('arrayBuffer ' + new Uint8Array(await new Response('abc').arrayBuffer()));
  log.push('json ' + JSON.stringify(await new Response('{"a":[1,2]}').json()));
  const asBlob = await new Response('xy').blob();
  log.push('blob ' + asBlob.type + ' ' + asBlob.size);
  const redirect = Response.redirect('https://a.example/x?y', 301);
  log.push('redirect ' + redirect.status + ' ' + redirect.headers.get('location'));
  await attempt(log, 'redirect relative', () => Response.redirect('/x'));
  const error = Response.error();
  log.push('error ' + error.type + ' ' + error.status);
  const post = new Request('https://a.example/', { method: 'POST', body: 'hi' });
  const moved = new Request(post);
  log.push('request moved ' + post.bodyUsed + ' ' + await moved.text());
  await attempt(log, 'stream without duplex', () => new Request('https://a.example/', { method: 'POST', body: new ReadableStream() }));
  const upload = new Request('https://a.example/', { method: 'POST', duplex: 'half',
    body: new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode('up')); c.close(); } }) });
  log.push('request stream ' + upload.duplex + ' ' + await upload.text());
  const t = AbortSignal.timeout(1);
  await new Promise((resolve) => t.addEventListener('abort', resolve));
  log.push('AbortSignal.timeout ' + t.reason.name);
  const c1 = new AbortController();
  const any = AbortSignal.any([c1.signal, AbortSignal.timeout(100000)]);
  c1.abort('first');
  log.push('AbortSignal.any ' + any.aborted + ' ' + any.reason);
  return log.join('\n');
}

async function blobs() {
  const log = [];
  const b = new Blob(['a\nb', new Uint8Array([65]), '\u00e9', new Blob(['z'])], { type: 'Text/Plain' });
  log.push('parts ' + b.size + ' ' + b.type + ' ' + JSON.stringify(await b.text()));
  log.push('bad type ' + JSON.stringify(new Blob(['a'], { type: 't\u00ebxt' }).type));
  log.push('slice ' + await new Blob(['h\u00e9llo']).slice(1, 3).text() + ' ' + new Blob(['h\u00e9llo']).slice(-3).size + ' ' +
           new Blob(['x']).slice(0, 1, 'X/Y').type);
  log.push('endings ' + JSON.stringify(await new Blob(['a\nb\r\nc'], { endings: 'native' }).text()));
  log.push('arrayBuffer ' + new Uint8Array(await new Blob(['hi']).arrayBuffer()));
  log.push('stream ' + await collect(new Blob(['hi']).stream()));
  log.push('tag ' + Object.prototype.toString.call(new Blob([])));
  await attempt(log, 'not a sequence', () => new Blob('abc'));
  const f = new File(['ab'], 'f.txt', { type: 'text/plain', lastModified: 5 });
  log.push('File ' + f.name + ' ' + f.size + ' ' + f.type + ' ' + f.lastModified + ' ' + (f instanceof Blob));
  return log.join('\n');
}

function base64() {
  const log = [];
  log.push('btoa ' + btoa('hello') + ' ' + btoa('\xff\xfe') + ' ' + btoa(''));
  log.push('atob ' + atob('aGVs bG8=') + ' ' + JSON.stringify(atob('YQ')));
  for (const input of ['a', 'ab=c', 'ab===', '*']) {
    try { atob(input); log.push(input + ' decoded'); } catch (e) { log.push('atob ' + input + ' ' + describe(e) + ' ' + (e instanceof DOMException)); }
  }
  try { btoa('\u0100'); } catch (e) { log.push('btoa ' + describe(e)); }
  try { atob(); } catch (e) { log.push('atob() ' + describe(e)); }
  return log.join('\n');
}

function clones() {
  const log = [];
  const d = new Date(5);
  const o = { d, m: new Map([[1, { x: [1n] }]]), s: new Set(['s']), r: /a/g, e: new RangeError('boom'), n: null,
              u: undefined, neg: -0, arr: [1, , 3], text: new String('t'), bytes: new Uint16Array([1, 2]) };
  o.self = o;
  const c = structuredClone(o);
  log.push('types ' + [c.self === c, c !== o, c.d instanceof Date, c.d.getTime(), c.m.get(1).x[0], c.s.has('s'),
                       c.r.flags, c.e instanceof RangeError, c.e.message, Object.is(c.neg, -0), 1 in c.arr, c.arr.length,
                       'u' in c, typeof c.text, c.bytes.constructor.name, Array.from(c.bytes)].join(','));
  class A { constructor() { this.x = 1; } method() {} }
  const plain = structuredClone(new A());
  log.push('class ' + plain.constructor.name + ' ' + plain.x);
  log.push('getter ' + JSON.stringify(Object.getOwnPropertyDescriptor(structuredClone({ get g() { return 5; } }), 'g')));
  for (const [label, value] of [['function', () => {}], ['symbol', Symbol('x')], ['method', { a() {} }]]) {
    try { structuredClone(value); log.push(label + ' cloned'); } catch (e) { log.push(label + ' ' + describe(e) + ' ' + (e instanceof DOMException)); }
  }
  const buffer = new Uint8Array([7, 8, 9]).buffer;
  const moved = structuredClone({ b: buffer, v: new Uint8Array(buffer, 1) }, { transfer: [buffer] });
  log.push('transfer ' + buffer.byteLength + ' ' + moved.b.byteLength + ' ' + Array.from(moved.v) + ' ' + (moved.v.buffer === moved.b));
  const again = new ArrayBuffer(1);
  try { structuredClone(1, { transfer: [again, again] }); } catch (e) { log.push('duplicate ' + describe(e)); }
  try { structuredClone(1, { transfer: [{}] }); } catch (e) { log.push('invalid ' + describe(e)); }
  try { structuredClone(); } catch (e) { log.push('nothing ' + describe(e)); }
  return log.join('\n');
}

function cryptoApis() {
  const log = [];
  for (const [label, make] of [['Float32Array', () => new Float32Array(1)], ['DataView', () => new DataView(new ArrayBuffer(1))],
                               ['65537 bytes', () => new Uint8Array(65537)], ['array', () => []]]) {
    try { crypto.getRandomValues(make()); log.push(label + ' filled'); } catch (e) { log.push(label + ' ' + describe(e)); }
  }
  try { crypto.getRandomValues(); } catch (e) { log.push('nothing ' + describe(e)); }
  const big = new Uint8Array(65536);
  log.push('65536 bytes ' + (crypto.getRandomValues(big) === big) + ' ' + big.some((b) => b !== 0));
  const words = new BigUint64Array(2);
  crypto.getRandomValues(words);
  log.push('BigUint64Array ' + (words[0] !== words[1]));
  const window = new Uint8Array(8);
  crypto.getRandomValues(new Uint8Array(window.buffer, 2, 4));
  log.push('view fills only its bytes ' + window[0] + window[1] + window[6] + window[7]);
  log.push('uuid ' + /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(crypto.randomUUID()));
  log.push('tag ' + Object.prototype.toString.call(crypto) + ' ' + (crypto instanceof Crypto));
  try { new Crypto(); } catch (e) { log.push('new Crypto ' + describe(e)); }
  return log.join('\n');
}

// What the randomness test compares between renders and between workers.
function random() {
  return [crypto.randomUUID(), hex(crypto.getRandomValues(new Uint8Array(16))), loadTimeUuid].join(' ');
}

export async function render({ component }) {
  switch (component) {
    case 'Streams': return streams();
    case 'Bodies': return bodies();
    case 'Blobs': return blobs();
    case 'Base64': return base64();
    case 'Clones': return clones();
    case 'Crypto': return cryptoApis();
    case 'Random': return random();
    case 'MathRandom': return String(Math.random());
  }
  throw new Error('no component ' + component);
}
