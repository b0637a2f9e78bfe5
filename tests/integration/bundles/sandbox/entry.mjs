// The bundle of tests/integration/sandbox_test.cc: what JavaScript can reach in a worker whose
// system calls are filtered. Every answer must be the same with and without the filter.
const WASM_ADD = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 7, 1, 96, 2, 127, 127, 1, 127, 3,
  2, 1, 0, 7, 7, 1, 3, 97, 100, 100, 0, 0, 10, 9, 1, 7, 0, 32, 0, 32, 1, 106, 11]);

function intl({zones, locales}) {
  const when = new Date(Date.UTC(2026, 2, 29, 1, 30));
  const lines = [
    'default zone: ' + new Intl.DateTimeFormat().resolvedOptions().timeZone,
    'toString: ' + when.toString(),
    'offset: ' + when.getTimezoneOffset(),
    'local: ' + when.toLocaleString('en-US'),
    'parsed: ' + new Date(2026, 5, 1, 12).getTime(),
  ];
  for (const timeZone of zones) {
    for (const locale of locales) {
      const format = new Intl.DateTimeFormat(locale, {timeZone, dateStyle: 'full', timeStyle: 'full'});
      lines.push(`${timeZone} ${locale}: ${format.format(when)}`);
    }
  }
  for (const locale of locales) {
    lines.push(`${locale}: ${new Intl.NumberFormat(locale, {style: 'currency', currency: 'JPY'}).format(1234567.891)}` +
               ` ${new Intl.RelativeTimeFormat(locale, {numeric: 'auto'}).format(-1, 'week')}` +
               ` ${new Intl.ListFormat(locale, {type: 'disjunction'}).format(['x', 'y', 'z'])}` +
               ` ${new Intl.DisplayNames([locale], {type: 'language'}).of('pt-BR')}` +
               ` ${['b', 'a', 'ä', 'z'].sort(new Intl.Collator(locale).compare).join('')}` +
               ` ${new Intl.PluralRules(locale, {type: 'ordinal'}).select(2)}` +
               ` ${[...new Intl.Segmenter(locale, {granularity: 'word'}).segment('ab cd, ef')].length}` +
               ` ${'istanbul İ'.toLocaleUpperCase(locale)} ${(0.5).toLocaleString(locale, {style: 'percent'})}`);
  }
  return lines.join('\n');
}

async function platform() {
  const out = {};
  // Synchronous compile: WebAssembly.instantiate finishes on a V8 platform task that the worker's
  // event loop does not run (a limit of its own, with or without the sandbox).
  out.wasm = new WebAssembly.Instance(new WebAssembly.Module(WASM_ADD)).exports.add(2, 3);
  out.random = crypto.getRandomValues(new Uint8Array(16)).length + crypto.randomUUID().length;
  const big = [];
  for (let i = 0; i < 300000; i++) big.push({i, s: 'item ' + i});  // a few garbage collections
  out.objects = big.length;
  out.buffer = new ArrayBuffer(64 << 20).byteLength;
  out.clone = structuredClone(new Map([[1, {a: [1, 2]}]])).get(1).a.length;
  out.timer = await new Promise(resolve => setTimeout(() => resolve('fired'), 5));
  out.url = new URL('../b?c=1#d', 'https://example.com/a/').href;
  out.body = await new Response(new Blob(['hello ', 'body'])).text();
  out.text = new TextDecoder().decode(new TextEncoder().encode('\u00e9t\u00e9'));
  out.fetch = await fetch('http://127.0.0.1:9/').then(() => 'fetched', e => e.constructor.name);
  return JSON.stringify(out);
}

export async function render({component, props}) {
  if (component === 'Intl') return intl(props);
  if (component === 'Platform') return platform();
  if (component === 'Import') return (await import('./chunks/' + props.name)).text();
  if (component === 'Throw') throw new Error('thrown in ' + component);
  return '<p>' + component + '</p>';
}
