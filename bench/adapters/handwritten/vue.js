// A hand-written server entry for the Vue example's checklist, without @ssrd/vue.
import { createSSRApp } from 'vue';
import { renderToString } from 'vue/server-renderer';
import Checklist from '__APP__/src/Checklist.vue';

const escapeHtml = (text) => String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
createSSRApp({ render: () => null }); // Vue sets globalThis.__VUE__ on first use: at load, not in a render

export async function render(request) {
  if (request.component !== 'VueChecklist') {
    const error = new Error(`unknown component "${request.component}"`);
    error.code = 'not_found';
    throw error;
  }
  const props = request.props ?? {};
  const html = await renderToString(createSSRApp(Checklist, props));
  const head = `<title>${escapeHtml(props.title)}</title><meta name="description" content="${(props.items ?? []).length} items">`;
  return { html, head, status: props.items ? 200 : 404 };
}
