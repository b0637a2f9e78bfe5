import type { ComponentType, VNode } from 'preact';
import type { Components, Render, RenderOptions, ServerContext, StreamRender } from './ssrd.js';

export interface PreactRenderOptions extends RenderOptions {
  /** Put providers (router, store) around the page. */
  wrap?: (vnode: VNode, ssr: ServerContext) => VNode;
}

/** The bundle's render(request): `export const render = createRender({Page})`. */
// With `stream: true`, html is a ReadableStream (see RenderOptions.stream).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export declare function createRender(components: Components<ComponentType<any>>, options: PreactRenderOptions & { stream: true }): StreamRender;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export declare function createRender(components: Components<ComponentType<any>>, options?: PreactRenderOptions & { stream?: false }): Render;
