// Every adapter's stream option, in Node: html is a ReadableStream whose text is the page; head,
// status and data are read after it has ended (as the daemon reads them), so what a component
// sets while the page streams counts; a boundary waiting for data lets the first bytes go before
// the data is there (React, Preact, Vue; Svelte has no streaming renderer: one chunk).
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';

const frameworks = await Promise.all(
  ['react', 'preact', 'vue', 'svelte'].map((name) => import(`./fixtures/${name}.mjs`)),
);

// Reads a stream of strings or bytes: [every chunk's text].
async function chunks(stream) {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  const texts = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    texts.push(typeof value === 'string' ? value : decoder.decode(value, { stream: true }));
  }
  return texts;
}

for (const f of frameworks) {
  const { Page, Echo, Throws, Deferred } = f;
  const whole = f.createRender({ Page, Echo, Throws });
  const streamed = f.createRender({ Page, Echo, Throws, ...(Deferred ? { Deferred } : {}) }, { stream: true });
  const request = (component, props = {}) => ({ component, props, url: '/here' });

  describe(`@ssrd/${f.name} server, stream: true`, () => {
    test('html is a stream of the page a whole render makes; head, status, data the same', async () => {
      const props = { title: 'A & B', status: 404, data: { reason: 'gone' } };
      const expected = await whole(request('Page', props));
      const reply = await streamed(request('Page', props));
      assert.ok(reply.html instanceof ReadableStream);
      assert.equal((await chunks(reply.html)).join(''), expected.html);
      assert.equal(reply.head, expected.head);
      assert.equal(reply.status, 404);
      assert.deepEqual(reply.data, { reason: 'gone' });
    });

    test('no data unless a component set some; renders share nothing', async () => {
      const first = await streamed(request('Page', { title: 'First', status: 410, data: 1 }));
      await chunks(first.html);
      const reply = await streamed(request('Echo', { name: 'Ada' }));
      assert.match((await chunks(reply.html)).join(''), /Hello, Ada!/);
      assert.equal(reply.status, 200);
      assert.equal(reply.head, '');
      assert.equal(reply.data, undefined);
    });

    test('an unknown component throws not_found; a throwing component fails the render', async () => {
      assert.throws(() => streamed(request('Nope')), (error) => error.code === 'not_found');
      await assert.rejects(async () => {
        const reply = await streamed(request('Throws'));
        await chunks(reply.html);
      }, /broken component/);
    });

    test('a resolver may be asynchronous', async () => {
      const lazy = f.createRender(async (name) => (name === 'Echo' ? { default: Echo } : undefined), { stream: true });
      const reply = await lazy(request('Echo', { name: 'Lazy' }));
      assert.match((await chunks(reply.html)).join(''), /Hello, Lazy!/);
    });

    test('stream must be a boolean', () => {
      assert.throws(() => f.createRender({ Echo }, { stream: 'yes' }), TypeError);
      assert.equal(typeof f.createRender({ Echo }, { stream: false }), 'function');
    });

    if (!Deferred) {
      test('without a streaming renderer the page is one chunk', async () => {
        const reply = await streamed(request('Page', { title: 'One' }));
        assert.equal((await chunks(reply.html)).length, 1);
      });
      return;
    }

    test('the first bytes leave before the data; what the late part sets is in the reply', async () => {
      let release;
      const gate = new Promise((resolve) => (release = resolve));
      const reply = await streamed(request('Deferred', { gate }));
      const reader = reply.html.getReader();
      const decoder = new TextDecoder();
      const text = (value) => (typeof value === 'string' ? value : decoder.decode(value, { stream: true }));
      // Nothing releases the gate but this test, after the first chunk: a renderer that waited
      // for the data before its first bytes would never get here.
      const first = text((await reader.read()).value);
      assert.match(first, /<h1>Shell<\/h1>/);
      assert.doesNotMatch(first, /Ready/);
      release('Ready <3');
      let rest = '';
      for (let r = await reader.read(); !r.done; r = await reader.read()) rest += text(r.value);
      assert.match(rest, /<p>Ready &lt;3<\/p>/);
      assert.match(reply.head, /<meta name="late" content="Ready (&lt;|<)3"\/?>/);
      assert.equal(reply.status, 410);
      assert.deepEqual(reply.data, { late: 'Ready <3' });
    });

    if (f.name !== 'vue') {
      const late = () => Promise.resolve('x').then((v) => new Promise((resolve) => setTimeout(() => resolve(v), 1)));
      const scriptTags = async (render, req) => {
        const page = (await chunks((await render(req)).html)).join('');
        const tags = page.match(/<script[^>]*>/g);
        assert.ok(tags && tags.length > 0, page);
        return tags;
      };

      test('the inline scripts of late boundaries carry request.nonce', async () => {
        const req = { ...request('Deferred', { gate: late() }), nonce: 'fr0mDaemon' };
        for (const tag of await scriptTags(streamed, req)) assert.match(tag, /nonce="fr0mDaemon"/);
      });

      test('options.nonce says where else the nonce is', async () => {
        const withNonce = f.createRender({ Deferred }, { stream: true, nonce: (r) => r.props.nonce });
        for (const tag of await scriptTags(withNonce, request('Deferred', { gate: late(), nonce: 'n0nce' }))) {
          assert.match(tag, /nonce="n0nce"/);
        }
      });
    }
  });
}

// react-dom/server.browser opens a MessageChannel when it loads, whose port would keep this
// process alive after the last test.
after(() => setImmediate(() => process.exit()));
