import type { Component } from 'svelte';
import type { Components, Render, RenderOptions, ServerContext, StreamRender } from './ssrd.js';

export interface SvelteRenderOptions extends RenderOptions {
  /** Entries for the components' getContext(). */
  context?: (ssr: ServerContext) => Iterable<readonly [unknown, unknown]>;
}

/** The bundle's render(request): `export const render = createRender({Page})`. */
// With `stream: true`, html is a ReadableStream (see RenderOptions.stream).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export declare function createRender(components: Components<Component<any>>, options: SvelteRenderOptions & { stream: true }): StreamRender;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export declare function createRender(components: Components<Component<any>>, options?: SvelteRenderOptions & { stream?: false }): Render;
