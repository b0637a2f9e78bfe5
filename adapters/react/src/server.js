// The server bundle's render(request) for React 19, on the web build of react-dom/server: the
// worker has no Node builtins.
import { createElement } from 'react';
import { renderToReadableStream, renderToStaticMarkup, renderToString } from 'react-dom/server.browser';
import { SsrdContext } from './index.js';
import { createServerContext, nonceFor, resolveComponent, streamOption } from './shared/server_context.js';

// components: {Name: Component} or a resolver (name) => Component | Promise<Component>.
// options.wrap(element, ssr): put providers (router, store) around the page.
// options.stream: render with renderToReadableStream; html is then a ReadableStream (the shell
// first, each Suspense boundary as its data arrives) and head, status and data are read when it
// has ended. options.nonce: string or (request) => string, for the inline scripts React writes
// for boundaries that resolve after the shell.
// The render returns {html, head, status, data?}, synchronously unless the resolver returned a
// promise or stream is on (a promise that settles when the shell is ready; a shell that throws
// rejects it). An unknown component throws an Error with code "not_found".
export function createRender(components, options = {}) {
  const stream = streamOption(options);
  const { wrap } = options;

  function page(Component, request, ssr) {
    let element = createElement(Component, request.props ?? {});
    if (wrap) element = wrap(element, ssr);
    return createElement(SsrdContext.Provider, { value: ssr }, element);
  }

  function renderComponent(Component, request) {
    const ssr = createServerContext(request, renderToStaticMarkup);
    return ssr.result(renderToString(page(Component, request, ssr)));
  }

  async function streamComponent(Component, request) {
    const ssr = createServerContext(request, renderToStaticMarkup);
    const html = await renderToReadableStream(page(Component, request, ssr), { nonce: nonceFor(options, request) });
    return ssr.streamResult(html);
  }

  const renderWith = stream ? streamComponent : renderComponent;
  return function render(request) {
    const component = resolveComponent(components, request.component);
    if (typeof component.then === 'function') return component.then((c) => renderWith(c, request));
    return renderWith(component, request);
  };
}
