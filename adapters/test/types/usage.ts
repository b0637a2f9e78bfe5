// Compiled by `tsc -p test/types` (npm test): each adapter's declarations, used as the READMEs
// show. A declaration that does not match its use fails the test suite.
import { createElement } from 'react';
import { Head, useSsrd as useReactSsrd } from '@ssrd/react';
import { createRender as createReactRender } from '@ssrd/react/server';
import { hydrate as hydrateReact } from '@ssrd/react/client';
import { h } from 'preact';
import { Head as PreactHead, useSsrd as usePreactSsrd } from '@ssrd/preact';
import { createRender as createPreactRender } from '@ssrd/preact/server';
import { hydrate as hydratePreact } from '@ssrd/preact/client';
import { defineComponent, h as vh } from 'vue';
import { useHead, useSsrd as useVueSsrd } from '@ssrd/vue';
import { createRender as createVueRender } from '@ssrd/vue/server';
import { hydrate as hydrateVue } from '@ssrd/vue/client';
import type { Component as SvelteComponent } from 'svelte';
import { useSsrd as useSvelteSsrd } from '@ssrd/svelte';
import { createRender as createSvelteRender } from '@ssrd/svelte/server';
import { hydrate as hydrateSvelte } from '@ssrd/svelte/client';
import type { RenderResult, StreamRenderResult } from '@ssrd/react';

function Page({ title }: { title: string }) {
  const ssr = useReactSsrd();
  ssr?.setStatus(404);
  ssr?.setData({ title });
  return createElement('main', null, createElement(Head, null, createElement('title', null, title)));
}
export const reactRender = createReactRender({ Page }, { wrap: (element, ssr) => (ssr.status === 200 ? element : element) });
export const reactLazy = createReactRender(async (name) => (name === 'Page' ? { default: Page } : undefined));
export const root = hydrateReact({ Page }, { id: 'ssrd-data', root: '#root', onHydrated: (p) => p.component });

function PreactPage({ title }: { title: string }) {
  usePreactSsrd()?.redirect('/elsewhere', 301);
  return h('main', null, h(PreactHead, null, h('title', null, title)));
}
export const preactRender = createPreactRender({ PreactPage });
hydratePreact({ PreactPage }, { global: '__SSRD__', dev: false });

const VuePage = defineComponent({
  props: { title: String },
  setup(props) {
    useVueSsrd()?.addHead('<meta name="robots" content="noindex">');
    useHead({ title: props.title ?? '', meta: [{ name: 'description', content: 'x' }] });
    return () => vh('main', props.title);
  },
});
export const vueRender = createVueRender({ VuePage }, { setup: async (app, ssr) => void app.provide('url', ssr.request.url) });
hydrateVue({ VuePage }, { setup: (app) => void app.provide('url', location.href) });

declare const SveltePage: SvelteComponent<{ title: string }>;
useSvelteSsrd()?.setStatus(410);
export const svelteRender = createSvelteRender({ SveltePage }, { context: (ssr) => [['url', ssr.request.url]] });
hydrateSvelte({ SveltePage }, { context: (payload) => new Map([['props', payload.props]]) });

export async function check(): Promise<RenderResult> {
  return reactRender({ component: 'Page', props: { title: 't' }, url: '/' });
}

// stream: true gives a StreamRender, whose html is a ReadableStream.
export const reactStream = createReactRender({ Page }, { stream: true, nonce: (request) => String(request.props.nonce) });
export const vueStream = createVueRender({ VuePage }, { stream: true });
export const svelteStream = createSvelteRender({ SveltePage }, { stream: true });
export const preactStream = createPreactRender({ PreactPage }, { stream: true, nonce: 'abc' });
export async function checkStream(): Promise<StreamRenderResult> {
  const reply = await reactStream({ component: 'Page', props: {}, url: '/' });
  const reader: ReadableStreamDefaultReader<Uint8Array | string> = reply.html.getReader();
  void reader;
  return reply;
}
