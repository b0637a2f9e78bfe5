// A hand-written server entry for the Svelte example's checklist, without @ssrd/svelte.
import { render as renderSvelte } from 'svelte/server';
import Checklist from '__APP__/src/Checklist.svelte';

export function render(request) {
  if (request.component !== 'SvelteChecklist') {
    const error = new Error(`unknown component "${request.component}"`);
    error.code = 'not_found';
    throw error;
  }
  const props = request.props ?? {};
  const { head, body } = renderSvelte(Checklist, { props });
  return { html: body, head, status: props.items ? 200 : 404 };
}
