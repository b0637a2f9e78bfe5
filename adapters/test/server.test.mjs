// The server half of every adapter, in Node: the render contract (docs/writing-the-bundle.md)
// with each framework's own components.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';

const frameworks = await Promise.all(
  ['react', 'preact', 'vue', 'svelte'].map((name) => import(`./fixtures/${name}.mjs`)),
);

for (const f of frameworks) {
  const { Page, Echo, Throws } = f;
  const render = f.createRender({ Page, Echo, Throws });
  const call = (component, props = {}) => render({ component, props, url: '/here' });

  describe(`@ssrd/${f.name} server`, () => {
    test('renders the named component with its props', async () => {
      const reply = await call('Echo', { name: 'Ada' });
      assert.match(reply.html, /<p>Hello, Ada!<\/p>/);
      assert.equal(reply.status, 200);
      assert.equal(reply.head, '');
      assert.equal('data' in reply, false, 'no data key unless a component set data');
    });

    test('head tags come from the component, escaped', async () => {
      const reply = await call('Page', { title: 'A & B </title>' });
      assert.match(reply.head, /<title>A &amp; B &lt;\/title(&gt;|>)<\/title>/);
      assert.match(reply.html, /<h1>A &amp; B &lt;\/title(&gt;|>)<\/h1>/);
      assert.doesNotMatch(reply.html, /<title>/, 'head tags stay out of the html');
    });

    test('a component sets the status and the hydration data', async () => {
      const reply = await call('Page', { title: 'Gone', status: 404, data: { reason: 'gone' } });
      assert.equal(reply.status, 404);
      assert.deepEqual(reply.data, { reason: 'gone' });
    });

    test('a redirect sets a 3xx status and a meta refresh', async () => {
      const reply = await call('Page', { title: 'Moved', redirect: '/new?a=1&b="2"' });
      assert.equal(reply.status, 302);
      assert.match(reply.head, /<meta http-equiv="refresh" content="0; url=\/new\?a=1&amp;b=&quot;2&quot;">/);
    });

    test('renders share nothing', async () => {
      await call('Page', { title: 'First', status: 410, data: 1 });
      const reply = await call('Page', { title: 'Second' });
      assert.equal(reply.status, 200);
      assert.equal('data' in reply, false);
      assert.doesNotMatch(reply.head, /First/);
    });

    test('an unknown component throws not_found, prototype names too', async () => {
      for (const name of ['Nope', 'constructor', '__proto__', 'toString']) {
        assert.throws(() => call(name), (error) => error.code === 'not_found' && error.message === `unknown component "${name}"`);
      }
    });

    test('a throwing component makes render fail with its error', async () => {
      await assert.rejects(async () => call('Throws'), /broken component/);
    });

    test('a status outside 100..999 is refused where it is set', async () => {
      await assert.rejects(async () => call('Page', { title: 'x', status: 1000 }), RangeError);
    });

    test('a resolver may be asynchronous and return a module', async () => {
      const lazy = f.createRender(async (name) => (name === 'Echo' ? { default: Echo } : undefined));
      const reply = await lazy({ component: 'Echo', props: { name: 'Lazy' }, url: '' });
      assert.match(reply.html, /Hello, Lazy!/);
      await assert.rejects(lazy({ component: 'Nope', props: {}, url: '' }), (error) => error.code === 'not_found');
    });

    test('a synchronous resolver', async () => {
      const direct = f.createRender((name) => ({ Echo })[name]);
      assert.match((await direct({ component: 'Echo', props: { name: 'Sync' }, url: '' })).html, /Hello, Sync!/);
      assert.throws(() => direct({ component: 'Nope', props: {}, url: '' }), (error) => error.code === 'not_found');
    });

  });
}

// react-dom/server.browser opens a MessageChannel when it loads, whose port would keep this
// process alive after the last test.
after(() => setImmediate(() => process.exit()));
