// The server bundle's render(request) for Preact, with preact-render-to-string.
import { Fragment, h } from 'preact';
import { renderToString } from 'preact-render-to-string';
import { SsrdContext } from './index.js';
import { checkRenderOptions, createServerContext, resolveComponent } from './shared/server_context.js';

// Children of <Head> may be an array or a single node; a fragment renders either.
const renderHeadNode = (children) => renderToString(h(Fragment, null, children));

// components: {Name: Component} or a resolver (name) => Component | Promise<Component>.
// options.wrap(vnode, ssr): put providers (router, store) around the page.
// The render returns {html, head, status, data?}, synchronously unless the resolver returned a
// promise; an unknown component throws an Error with code "not_found".
export function createRender(components, options = {}) {
  checkRenderOptions(options);
  const { wrap } = options;

  function renderComponent(Component, request) {
    const ssr = createServerContext(request, renderHeadNode);
    let vnode = h(Component, request.props ?? {});
    if (wrap) vnode = wrap(vnode, ssr);
    const html = renderToString(h(SsrdContext.Provider, { value: ssr }, vnode));
    return ssr.result(html);
  }

  return function render(request) {
    const component = resolveComponent(components, request.component);
    if (typeof component.then === 'function') return component.then((c) => renderComponent(c, request));
    return renderComponent(component, request);
  };
}
