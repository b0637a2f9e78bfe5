// The React example's server entry as it was written by hand before @ssrd/react (the same
// components; <Head> renders nothing without the adapter's context, so the head is built here).
import { renderToString } from 'react-dom/server.browser';
import { pageTitle } from '__APP__/src/components/ProductPage.jsx';
import { components } from '__APP__/src/registry.js';

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
  ReactChecklist: (props) => `<title>${escapeHtml(props.title)}</title><meta name="description" content="${(props.items ?? []).length} items">`,
};

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
  const status = name === 'ReactChecklist' && !props.items ? 404 : 200;
  return { html: renderToString(<Component {...props} />), status, head };
}
