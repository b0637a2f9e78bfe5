import type { ComponentType, ReactElement } from 'react';
import type { Components, Render, RenderOptions, ServerContext } from './ssrd.js';

export interface ReactRenderOptions extends RenderOptions {
  /** Put providers (router, store) around the page. */
  wrap?: (element: ReactElement, ssr: ServerContext) => ReactElement;
}

/** The bundle's render(request): `export const render = createRender({ProductPage, Tiny})`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export declare function createRender(components: Components<ComponentType<any>>, options?: ReactRenderOptions): Render;
