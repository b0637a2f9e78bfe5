// @ssrd/vue: content teleported to "head" (Vue's SSR context, teleports.head) joins the head,
// before what useHead() wrote, and stays out of the html; streamed too (read after the stream).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defineComponent, h, Teleport } from 'vue';
import { useHead } from '@ssrd/vue';
import { createRender } from '@ssrd/vue/server';

test('a teleport to head becomes head markup', async () => {
  const Page = defineComponent({
    setup() {
      useHead({ meta: [{ name: 'robots', content: 'noindex' }] });
      return () => h('div', [h(Teleport, { to: 'head' }, [h('title', 'T <x>')]), h('p', 'body')]);
    },
  });
  const reply = await createRender({ Page })({ component: 'Page', props: {}, url: '/' });
  assert.match(reply.head, /^<!--teleport start anchor--><title>T &lt;x&gt;<\/title><!--teleport anchor--><meta name="robots" content="noindex">$/);
  assert.doesNotMatch(reply.html, /<title>/);
  assert.match(reply.html, /<p>body<\/p>/);
});

test('streamed, the teleport to head is in the head read after the stream', async () => {
  const Page = defineComponent({
    setup() {
      return () => h('div', [h(Teleport, { to: 'head' }, [h('title', 'T <x>')]), h('p', 'body')]);
    },
  });
  const reply = await createRender({ Page }, { stream: true })({ component: 'Page', props: {}, url: '/' });
  const reader = reply.html.getReader();
  const decoder = new TextDecoder();
  let html = '';
  for (let r = await reader.read(); !r.done; r = await reader.read()) html += typeof r.value === 'string' ? r.value : decoder.decode(r.value, { stream: true });
  assert.equal(reply.head, '<!--teleport start anchor--><title>T &lt;x&gt;</title><!--teleport anchor-->');
  assert.doesNotMatch(html, /<title>/);
  assert.match(html, /<p>body<\/p>/);
});
