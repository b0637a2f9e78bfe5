// The server bundle's render(request) for Preact, with preact-render-to-string.
import { Fragment, h } from 'preact';
import { renderToString } from 'preact-render-to-string';
import { renderToReadableStream } from 'preact-render-to-string/stream';
import { SsrdContext } from './index.js';
import { createServerContext, nonceFor, resolveComponent, streamOption } from './shared/server_context.js';

// Children of <Head> may be an array or a single node; a fragment renders either.
const renderHeadNode = (children) => renderToString(h(Fragment, null, children));

// components: {Name: Component} or a resolver (name) => Component | Promise<Component>.
// options.wrap(vnode, ssr): put providers (router, store) around the page.
// options.stream: render with preact-render-to-string's renderToReadableStream; html is then a
// ReadableStream (the page up to each suspended lazy() component first, which arrives later in a
// <preact-island>), and head, status and data are read when it has ended. options.nonce: string
// or (request) => string, for the inline script that moves the islands into place.
// The render returns {html, head, status, data?}, synchronously unless the resolver returned a
// promise; an unknown component throws an Error with code "not_found".
export function createRender(components, options = {}) {
  const stream = streamOption(options);
  const { wrap } = options;

  function page(Component, request, ssr) {
    let vnode = h(Component, request.props ?? {});
    if (wrap) vnode = wrap(vnode, ssr);
    return h(SsrdContext.Provider, { value: ssr }, vnode);
  }

  function renderComponent(Component, request) {
    const ssr = createServerContext(request, renderHeadNode);
    return ssr.result(renderToString(page(Component, request, ssr)));
  }

  function streamComponent(Component, request) {
    const ssr = createServerContext(request, renderHeadNode);
    const html = renderToReadableStream(page(Component, request, ssr), { nonce: nonceFor(options, request) });
    // allReady rejects with the error the stream itself fails with; unobserved, it would be an
    // unhandled rejection besides.
    html.allReady.catch(() => {});
    return ssr.streamResult(html);
  }

  const renderWith = stream ? streamComponent : renderComponent;
  return function render(request) {
    const component = resolveComponent(components, request.component);
    if (typeof component.then === 'function') return component.then((c) => renderWith(c, request));
    return renderWith(component, request);
  };
}
