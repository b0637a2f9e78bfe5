// The server bundle's render(request) for Svelte 5, with render() from svelte/server.
import { render as renderSvelte } from 'svelte/server';
import { ssrdKey } from './index.js';
import { createServerContext, resolveComponent, streamOf, streamOption } from './shared/server_context.js';

// components: {Name: Component} or a resolver (name) => Component | Promise<Component> (a lazy
// import() works: its module's default export is taken).
// options.context(ssr): entries ([key, value] pairs or a Map) for the components' getContext().
// options.stream: html is a ReadableStream, for a bundle that serves streamed requests the same
// way for every framework. Svelte 5 has no streaming renderer: the stream holds the whole page
// as one chunk, made by the same render() as without the option.
// The render returns {html, head, status, data?}, synchronously unless the resolver returned a
// promise; <svelte:head> content is the head. An unknown component throws an Error with code
// "not_found".
export function createRender(components, options = {}) {
  const stream = streamOption(options);

  function renderComponent(Component, request) {
    const ssr = createServerContext(request);
    const context = new Map(options.context ? options.context(ssr) : undefined);
    context.set(ssrdKey, ssr);
    const { head, body } = renderSvelte(Component, { props: request.props ?? {}, context });
    if (stream) return ssr.streamResult(streamOf(body), () => head);
    return ssr.result(body, head);
  }

  return function render(request) {
    const component = resolveComponent(components, request.component);
    if (typeof component.then === 'function') return component.then((c) => renderComponent(c, request));
    return renderComponent(component, request);
  };
}
