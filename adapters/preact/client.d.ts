import type { ComponentType, VNode } from 'preact';
import type { Components, HydrateOptions, HydrationPayload } from './ssrd.js';

export interface PreactHydrateOptions extends HydrateOptions {
  /** The same providers as on the server. */
  wrap?: (vnode: VNode, payload: HydrationPayload) => VNode;
  /** Compare the root's markup before and after hydration and log a difference; default: NODE_ENV !== "production". */
  dev?: boolean;
}

/** Hydrates the server's markup with the component the payload names; returns the payload. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export declare function hydrate(components: Components<ComponentType<any>>, options?: PreactHydrateOptions): HydrationPayload | Promise<HydrationPayload | null> | null;
