import type { ComponentType, ReactElement } from 'react';
import type { Components, Render, RenderOptions, ServerContext, StreamRender } from './ssrd.js';

export interface ReactRenderOptions extends RenderOptions {
  /** Put providers (router, store) around the page. */
  wrap?: (element: ReactElement, ssr: ServerContext) => ReactElement;
}

/** The bundle's render(request): `export const render = createRender({ProductPage, Tiny})`. */
// With `stream: true`, html is a ReadableStream (see RenderOptions.stream).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export declare function createRender(components: Components<ComponentType<any>>, options: ReactRenderOptions & { stream: true }): StreamRender;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export declare function createRender(components: Components<ComponentType<any>>, options?: ReactRenderOptions & { stream?: false }): Render;
