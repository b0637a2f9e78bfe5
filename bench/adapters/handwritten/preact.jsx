// A hand-written server entry for the Preact example's checklist, without @ssrd/preact.
import { renderToString } from 'preact-render-to-string';
import { Checklist } from '__APP__/src/Checklist.jsx';

const escapeHtml = (text) => String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');

export function render(request) {
  if (request.component !== 'PreactChecklist') {
    const error = new Error(`unknown component "${request.component}"`);
    error.code = 'not_found';
    throw error;
  }
  const props = request.props ?? {};
  const head = `<title>${escapeHtml(props.title)}</title><meta name="description" content="${(props.items ?? []).length} items">`;
  return { html: renderToString(<Checklist {...props} />), head, status: props.items ? 200 : 404 };
}
