// @ssrd/vue: content teleported to "head" (Vue's SSR context, teleports.head) joins the head,
// before what useHead() wrote, and stays out of the html.
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
