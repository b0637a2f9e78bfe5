// vue-router with createMemoryHistory, the way a Vue SSR server uses it: a router per render,
// push the request's URL, wait for async components and guards (a redirect, a route that
// needs a query, a catch-all 404), then render with Vue's server renderer.
import { createSSRApp, defineAsyncComponent, defineComponent, h } from 'vue';
import { renderToString } from 'vue/server-renderer';
import { RouterLink, RouterView, createMemoryHistory, createRouter, useRoute } from 'vue-router';

const Home = defineComponent({
  setup: () => () => h('ul', ['Lamp', 'Desk'].map((name) => h('li', name))),
});
const Product = defineAsyncComponent(async () => {
  await new Promise((resolve) => setTimeout(resolve, 1));
  return defineComponent({
    props: { id: String },
    setup(props) {
      const route = useRoute();
      return () => h('article', [
        h('h1', `Product ${props.id}`),
        h('p', `q=${route.query.q ?? ''} hash=${route.hash} full=${route.fullPath}`),
      ]);
    },
  });
});
const NotFound = defineComponent({
  setup() {
    const route = useRoute();
    return () => h('p', { role: 'alert' }, `nothing at ${route.params.rest.join('/')}`);
  },
});

const App = defineComponent({
  setup: () => () => h('main', [
    h('nav', [h(RouterLink, { to: '/' }, () => 'Home'), ' ',
      h(RouterLink, { to: { name: 'product', params: { id: '1' }, query: { q: 'a b&c' } } }, () => 'Lamp')]),
    h(RouterView),
  ]),
});

export async function render({ url }) {
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/', component: Home },
      { path: '/products/:id(\\d+)', name: 'product', component: Product, props: true },
      { path: '/old/:id', redirect: (to) => ({ name: 'product', params: { id: to.params.id }, query: { from: 'old' } }) },
      { path: '/:rest(.*)*', name: 'missing', component: NotFound },
    ],
  });
  const app = createSSRApp(App);
  app.use(router);
  await router.push(url);
  await router.isReady();
  const html = await renderToString(app);
  const status = router.currentRoute.value.name === 'missing' ? 404 : 200;
  return { html, head: `<link rel="canonical" href="${router.currentRoute.value.fullPath}">`, status };
}
