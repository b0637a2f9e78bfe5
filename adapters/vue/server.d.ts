import type { App, Component } from 'vue';
import type { Components, Render, RenderOptions, ServerContext, StreamRender } from './ssrd.js';

export interface VueRenderOptions extends RenderOptions {
  /** Install plugins (router, pinia) on each render's app. */
  setup?: (app: App, ssr: ServerContext) => void | Promise<void>;
}

/** The bundle's render(request): `export const render = createRender({Page})`. */
// With `stream: true`, html is a ReadableStream (see RenderOptions.stream).
export declare function createRender(components: Components<Component>, options: VueRenderOptions & { stream: true }): StreamRender;
export declare function createRender(components: Components<Component>, options?: VueRenderOptions & { stream?: false }): Render;
