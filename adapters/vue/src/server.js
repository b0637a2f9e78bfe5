// The server bundle's render(request) for Vue 3: one SSR app per render.
import { createSSRApp } from 'vue';
import { renderToString, renderToWebStream } from 'vue/server-renderer';
import { ssrdKey } from './index.js';
import { createServerContext, resolveComponent, streamOption } from './shared/server_context.js';

// components: {Name: Component} or a resolver (name) => Component | Promise<Component> (a lazy
// import() of an SFC works: its module's default export is taken).
// options.setup(app, ssr): install plugins (router, pinia) on each render's app; may be async.
// options.stream: render with renderToWebStream; html is then a ReadableStream (Vue writes the
// page in order, waiting at each async setup()), and head, status and data are read when it has
// ended, teleports to "head" included (Vue fills them in as the stream ends).
// The render returns a promise of {html, head, status, data?}; an unknown component throws an
// Error with code "not_found" (synchronously for a map). Content teleported to "head"
// (<Teleport to="head">) is added to head.
export function createRender(components, options = {}) {
  const stream = streamOption(options);
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
    if (stream) {
      return ssr.streamResult(renderToWebStream(app, context), () => (context.teleports && context.teleports.head) || '');
    }
    const html = await renderToString(app, context);
    return ssr.result(html, (context.teleports && context.teleports.head) || '');
  }

  return function render(request) {
    const component = resolveComponent(components, request.component);
    if (typeof component.then === 'function') return component.then((c) => renderComponent(c, request));
    return renderComponent(component, request);
  };
}
