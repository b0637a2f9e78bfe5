import type { Component } from 'svelte';
import type { Components, Render, RenderOptions, ServerContext } from './ssrd.js';

export interface SvelteRenderOptions extends RenderOptions {
  /** Entries for the components' getContext(). */
  context?: (ssr: ServerContext) => Iterable<readonly [unknown, unknown]>;
}

/** The bundle's render(request): `export const render = createRender({Page})`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export declare function createRender(components: Components<Component<any>>, options?: SvelteRenderOptions): Render;
