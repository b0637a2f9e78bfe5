// @unhead/vue: components declare their head with useHead and useSeoMeta (titles with a
// template, meta, links, html and body attributes, a JSON-LD script), and renderSSRHead turns
// the merged, deduplicated result into the tags of the reply's head.
import { createSSRApp, defineComponent, h } from 'vue';
import { renderToString } from 'vue/server-renderer';
import { createHead, renderSSRHead } from '@unhead/vue/server';
import { useHead, useSeoMeta } from '@unhead/vue';

const Product = defineComponent({
  props: { name: String, price: Number },
  setup(props) {
    useSeoMeta({ title: props.name, description: `Buy ${props.name} <now> & save`, ogTitle: props.name });
    useHead({
      link: [{ rel: 'canonical', href: `https://shop.example/p/${encodeURIComponent(props.name)}` }],
      script: [{ type: 'application/ld+json', innerHTML: JSON.stringify({ '@type': 'Product', name: props.name, price: props.price }) }],
      htmlAttrs: { lang: 'en' },
    });
    return () => h('h1', props.name);
  },
});

const App = defineComponent({
  props: { items: Array },
  setup(props) {
    useHead({ titleTemplate: (title) => `${title} | Shop`, meta: [{ name: 'description', content: 'a shop' }], bodyAttrs: { class: 'shop' } });
    return () => h('main', props.items.map((item) => h(Product, { key: item.name, ...item })));
  },
});

export async function render({ props }) {
  const app = createSSRApp(App, props);
  const head = createHead();
  app.use(head);
  const html = await renderToString(app);
  const tags = await renderSSRHead(head);
  return {
    html: `<div ${tags.bodyAttrs}>${html}</div>`,
    head: [tags.headTags, `<!-- html ${tags.htmlAttrs} -->`, tags.bodyTagsOpen, tags.bodyTags].join('\n'),
  };
}
