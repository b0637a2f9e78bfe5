// The server bundle's render(request) for React 19, on the web build of react-dom/server: the
// worker has no Node builtins.
import { createElement } from 'react';
import { renderToStaticMarkup, renderToString } from 'react-dom/server.browser';
import { SsrdContext } from './index.js';
import { checkRenderOptions, createServerContext, resolveComponent } from './shared/server_context.js';

// components: {Name: Component} or a resolver (name) => Component | Promise<Component>.
// options.wrap(element, ssr): put providers (router, store) around the page.
// The render returns {html, head, status, data?}, synchronously unless the resolver returned a
// promise; an unknown component throws an Error with code "not_found".
export function createRender(components, options = {}) {
  checkRenderOptions(options);
  const { wrap } = options;

  function renderComponent(Component, request) {
    const ssr = createServerContext(request, renderToStaticMarkup);
    let element = createElement(Component, request.props ?? {});
    if (wrap) element = wrap(element, ssr);
    const html = renderToString(createElement(SsrdContext.Provider, { value: ssr }, element));
    return ssr.result(html);
  }

  return function render(request) {
    const component = resolveComponent(components, request.component);
    if (typeof component.then === 'function') return component.then((c) => renderComponent(c, request));
    return renderComponent(component, request);
  };
}
