// The server bundle's render(request) for Vue 3: one SSR app per render.
import { createSSRApp } from 'vue';
import { renderToString } from 'vue/server-renderer';
import { ssrdKey } from './index.js';
import { checkRenderOptions, createServerContext, resolveComponent } from './shared/server_context.js';

// components: {Name: Component} or a resolver (name) => Component | Promise<Component> (a lazy
// import() of an SFC works: its module's default export is taken).
// options.setup(app, ssr): install plugins (router, pinia) on each render's app; may be async.
// The render returns a promise of {html, head, status, data?}; an unknown component throws an
// Error with code "not_found" (synchronously for a map). Content teleported to "head"
// (<Teleport to="head">) is added to head.
export function createRender(components, options = {}) {
  checkRenderOptions(options);
  // Vue makes its renderer on first use, and that sets globalThis.__VUE__. Made now, while the
  // bundle loads, rather than in the first render: the ssrd worker replaces the context of a
  // render that added a global, which every render would then do again.
  createSSRApp({ render: () => null });

  async function renderComponent(Component, request) {
    const ssr = createServerContext(request);
    const app = createSSRApp(Component, request.props ?? {});
    app.provide(ssrdKey, ssr);
    if (options.setup) await options.setup(app, ssr);
    const context = {};
    const html = await renderToString(app, context);
    return ssr.result(html, (context.teleports && context.teleports.head) || '');
  }

  return function render(request) {
    const component = resolveComponent(components, request.component);
    if (typeof component.then === 'function') return component.then((c) => renderComponent(c, request));
    return renderComponent(component, request);
  };
}
