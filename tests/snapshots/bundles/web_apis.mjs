// Exercises the worker's web APIs (isolates/web); each component returns a text the C++ test
// compares exactly. Module-level uses check that the APIs exist while the bundle loads too (and
// so inside a snapshot).
const loadTimeUrl = new URL('/path?x=1', 'https://load.example');
const loadTimeController = new AbortController();

const urlFields = ['href', 'origin', 'protocol', 'username', 'password', 'host', 'hostname', 'port',
                   'pathname', 'search', 'hash'];

function urlTable(cases) {
  const mismatches = [];
  for (const c of cases) {
    let url = null;
    try { url = c.base === undefined ? new URL(c.input) : new URL(c.input, c.base); } catch (e) {
      if (!(e instanceof TypeError)) mismatches.push(c.input + ': threw ' + e);
    }
    if (c.failure) {
      if (url !== null) mismatches.push(JSON.stringify(c.input) + ' should fail, got ' + url.href);
      if (URL.canParse(c.input, c.base)) mismatches.push(JSON.stringify(c.input) + ': canParse true');
      continue;
    }
    if (url === null) { mismatches.push(JSON.stringify(c.input) + ' failed to parse'); continue; }
    for (const f of urlFields) {
      if (url[f] !== c[f]) mismatches.push(JSON.stringify(c.input) + ' ' + f + ': ' + JSON.stringify(url[f]) + ' != ' + JSON.stringify(c[f]));
    }
    if (String(url) !== c.href || url.toJSON() !== c.href) mismatches.push(c.input + ': toString/toJSON');
  }
  return mismatches;
}

function paramsTable(cases) {
  const mismatches = [];
  const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
  for (const c of cases) {
    let p;
    if (c.appended) {
      p = new URLSearchParams();
      for (const [k, v] of c.appended) p.append(k, v);
    } else {
      p = new URLSearchParams(c.initObject !== undefined ? c.initObject : c.init);
    }
    const label = JSON.stringify(c.init !== undefined ? c.init : c.initObject);
    if (p.toString() !== c.string) mismatches.push(label + ' toString: ' + p.toString());
    if (c.entries && !same([...p], c.entries)) mismatches.push(label + ' entries: ' + JSON.stringify([...p]));
    if (c.getA !== undefined && p.get('a') !== c.getA) mismatches.push(label + ' get: ' + p.get('a'));
    if (c.getAllA && !same(p.getAll('a'), c.getAllA)) mismatches.push(label + ' getAll');
    if (c.sorted !== undefined) { p.sort(); if (p.toString() !== c.sorted) mismatches.push(label + ' sorted: ' + p); }
  }
  // A URL's searchParams and its search stay in step both ways.
  const u = new URL('https://h/p?b=2&a=1');
  u.searchParams.append('c', 'x y');
  u.searchParams.sort();
  if (u.href !== 'https://h/p?a=1&b=2&c=x+y') mismatches.push('searchParams -> href: ' + u.href);
  u.search = '?z=9';
  if (u.searchParams.get('z') !== '9' || u.searchParams.has('a')) mismatches.push('search -> searchParams');
  u.hash = 'top'; u.port = '8443'; u.pathname = '/a b';
  if (u.href !== 'https://h:8443/a%20b?z=9#top') mismatches.push('setters: ' + u.href);
  return mismatches;
}

async function abort() {
  const log = [];
  const c = new AbortController();
  c.signal.addEventListener('abort', (e) => log.push('listener ' + e.type + ' ' + (e.target === c.signal)));
  c.signal.addEventListener('abort', () => log.push('once'), { once: true });
  c.signal.onabort = () => log.push('onabort');
  log.push('aborted=' + c.signal.aborted);
  c.abort();
  c.abort();  // a second abort fires nothing
  const r = c.signal.reason;
  log.push('reason ' + (r instanceof DOMException) + ' ' + r.name + ' ' + r.code + ' ' + r.message);
  try { c.signal.throwIfAborted(); } catch (e) { log.push('threw ' + (e === r)); }
  const custom = new AbortController();
  custom.abort('why');
  log.push('custom reason ' + custom.signal.reason);
  const pre = AbortSignal.abort(new Error('early'));
  log.push('AbortSignal.abort ' + pre.aborted + ' ' + pre.reason.message);
  const t = AbortSignal.timeout(5);
  await new Promise((resolve) => t.addEventListener('abort', resolve));
  log.push('timeout ' + t.reason.name + ' ' + t.reason.code);
  const a = new AbortController(), b = new AbortController();
  const any = AbortSignal.any([a.signal, b.signal]);
  b.abort('from b');
  log.push('any ' + any.aborted + ' ' + any.reason);
  try { new AbortSignal(); } catch (e) { log.push('constructor ' + e.constructor.name); }
  const target = new EventTarget();
  const ev = new Event('ping', { cancelable: true });
  target.addEventListener('ping', (e) => e.preventDefault());
  log.push('dispatch ' + target.dispatchEvent(ev) + ' ' + ev.defaultPrevented);
  const removed = () => log.push('never');
  target.addEventListener('ping', removed);
  target.removeEventListener('ping', removed);
  target.addEventListener('ping', { handleEvent: (e) => log.push('handleEvent ' + e.type) });
  target.dispatchEvent(new Event('ping'));
  log.push('toStringTag ' + Object.prototype.toString.call(c.signal));
  return log.join('\n');
}

async function fetchTypes() {
  const log = [];
  const h = new Headers({ 'Content-Type': 'text/html', 'X-B': '1' });
  h.append('x-b', '2');
  h.append('Set-Cookie', 'a=1');
  h.append('Set-Cookie', 'b=2');
  log.push('headers ' + JSON.stringify([...h]) + ' ' + h.get('X-B') + ' ' + h.has('content-type'));
  log.push('set-cookie ' + JSON.stringify(h.getSetCookie()));
  try { h.append('bad name', 'x'); } catch (e) { log.push('bad name ' + e.constructor.name); }
  const res = new Response('{"a":[1,2]}', { status: 201, headers: { 'x-y': 'z' } });
  log.push('response ' + res.status + ' ' + res.ok + ' ' + res.headers.get('content-type') + ' ' + res.headers.get('x-y'));
  const copy = res.clone();
  log.push('json ' + JSON.stringify(await res.json()) + ' used=' + res.bodyUsed);
  log.push('clone text ' + await copy.text());
  try { await res.text(); } catch (e) { log.push('reread ' + e.constructor.name); }
  const j = Response.json({ ok: true }, { status: 404 });
  log.push('Response.json ' + j.status + ' ' + j.ok + ' ' + j.headers.get('content-type') + ' ' + await j.text());
  const bytes = new Response(new Uint8Array([104, 105]));
  log.push('bytes body ' + await bytes.text());
  const req = new Request('https://api.example/items?x=1', { method: 'post', body: 'payload', headers: [['accept', 'application/json']] });
  log.push('request ' + req.method + ' ' + req.url + ' ' + req.headers.get('accept') + ' ' + req.headers.get('content-type') + ' ' + await req.clone().text());
  try { new Request('/relative'); } catch (e) { log.push('relative ' + e.constructor.name); }
  try { new Request('https://x/', { method: 'GET', body: 'no' }); } catch (e) { log.push('GET body ' + e.constructor.name); }
  try { new Response('x', { status: 99 }); } catch (e) { log.push('status ' + e.constructor.name); }
  log.push('fetch is ' + typeof fetch);
  try { await fetch('https://api.example/data'); log.push('fetch resolved?!'); } catch (e) {
    log.push('fetch ' + e.constructor.name + ': ' + e.message);
  }
  return log.join('\n');
}

export async function render({ component, props }) {
  switch (component) {
    case 'UrlTable': return JSON.stringify(urlTable(props.urls).concat(paramsTable(props.searchParams)));
    case 'Abort': return abort();
    case 'Fetch': return fetchTypes();
    case 'LoadTime': return loadTimeUrl.href + ' ' + loadTimeController.signal.aborted;
    case 'Globals':
      return ['URL', 'URLSearchParams', 'AbortController', 'AbortSignal', 'Event', 'EventTarget',
              'CustomEvent', 'DOMException', 'Headers', 'Request', 'Response', 'fetch',
              'TextEncoder', 'TextDecoder'].map((n) => n + ':' + typeof globalThis[n]).join(' ');
  }
  throw new Error('no component ' + component);
}
