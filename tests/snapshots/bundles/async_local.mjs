// AsyncLocalStorage as Svelte and React's server renderers use it: imported from
// node:async_hooks, a store per render that follows await, promise callbacks and timers.
import { AsyncLocalStorage } from 'node:async_hooks';

const als = new AsyncLocalStorage();
const sameClass = AsyncLocalStorage === globalThis.AsyncLocalStorage;

async function step(label, log) {
  await null;
  log.push(label + '=' + als.getStore());
}

export async function render({ component, props }) {
  if (component === 'Leftover') return 'store=' + als.getStore();
  if (component === 'Thenable') {
    return als.run('t', async () => {
      let inside;
      await { then(resolve) { inside = als.getStore(); resolve(); } };
      return 'inside then=' + inside + ' after await=' + als.getStore();
    });
  }
  const log = [];
  await als.run(props.id, async () => {
    log.push('sync=' + als.getStore());
    await step('await', log);
    await Promise.resolve().then(() => log.push('then=' + als.getStore()));
    await new Promise((resolve) => setTimeout(() => { log.push('timer=' + als.getStore()); resolve(); }, 1));
    queueMicrotask(() => log.push('microtask=' + als.getStore()));
    await als.run('inner', async () => { await null; log.push('nested=' + als.getStore()); });
    log.push('after nested=' + als.getStore());
  });
  const concurrent = await Promise.all(['x', 'y'].map((v) => als.run(v, async () => {
    await new Promise((resolve) => setTimeout(resolve, v === 'x' ? 3 : 1));
    return als.getStore();
  })));
  log.push('concurrent=' + concurrent.join(','));
  log.push('outside=' + als.getStore());
  const bound = als.run('bound', () => AsyncLocalStorage.bind(() => als.getStore()));
  log.push('bind=' + bound());
  const dynamic = await import('node:async_hooks');
  log.push('dynamic import ' + (dynamic.AsyncLocalStorage === AsyncLocalStorage));
  als.enterWith('entered');  // must not reach the next render
  log.push('same class ' + sameClass);
  return log.join('\n');
}
