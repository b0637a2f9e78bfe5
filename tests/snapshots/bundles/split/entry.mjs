// A code-split bundle: chunks/shared.mjs is imported statically and dynamically, chunks/lazy.mjs
// only by import() at render time.
import { id, bump, counter } from './chunks/shared.mjs';

async function refusals() {
  const lines = [];
  for (const specifier of ['../outside.mjs', 'node:fs', 'https://cdn.example/x.js', 'react',
                           './chunks/missing.mjs', 'file:///etc/passwd']) {
    try {
      await import(specifier);
      lines.push(specifier + ': loaded?!');
    } catch (e) {
      lines.push(e.constructor.name + ': ' + e.message);
    }
  }
  return lines.join('\n');
}

export async function render({ component, props }) {
  switch (component) {
    case 'Same': {
      const ns = await import('./chunks/shared.mjs');
      bump();
      return String(ns.id === id) + ' ' + ns.counter + ' ' + counter;
    }
    case 'Lazy': {
      const lazy = await import('./chunks/lazy.mjs');
      const again = await import('./chunks/lazy.mjs');
      return lazy.default(props.name) + ' ' + (lazy === again) + ' ' + (lazy.sharedId === id) +
        ' ' + (lazy.entryRender === render);
    }
    case 'Computed': return (await import(`./chunks/${props.chunk}.mjs`)).default(props.name);
    case 'Throws':
      try { await import('./chunks/throws.mjs'); return 'no'; } catch (e) { return 'caught ' + e.message; }
    case 'Refused': return refusals();
  }
  throw new Error('no component ' + component);
}
