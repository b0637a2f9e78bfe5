// Server entry, loaded by the ssrd worker (bare V8, no Node builtins).
// renderToString comes from the browser server build: the Node build needs
// stream/util/crypto, which the worker does not have.
import { renderToString } from 'react-dom/server.browser';
import { pageTitle } from './components/ProductPage.jsx';
import { components } from './registry.js';

function escapeHtml(text) {
  return String(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const heads = {
  ProductPage: (props) => `<title>${escapeHtml(pageTitle(props))}</title>`,
};

// request: {component, props, url}. Returns {html, status, head}.
// Throws Error with code "not_found" for a component not in the registry;
// any other exception is a render error of the component itself.
export function render(request) {
  const name = request.component;
  const Component = Object.prototype.hasOwnProperty.call(components, name) ? components[name] : undefined;
  if (!Component) {
    const error = new Error(`unknown component "${name}"`);
    error.code = 'not_found';
    throw error;
  }
  const props = request.props ?? {};
  const head = heads[name] ? heads[name](props) : '';
  return { html: renderToString(<Component {...props} />), status: 200, head };
}
