// Svelte 5's asynchronous server rendering: components that await in their markup, with
// getContext read after an await. Svelte keeps each render's context in an AsyncLocalStorage
// from node:async_hooks (imported on demand), which the worker provides.
import { render as renderSvelte } from 'svelte/server';
import Page from './Page.svelte';

export async function render({ props }) {
  const { body, head } = await renderSvelte(Page, { props });
  return { html: body, head };
}
