import type { Component } from 'svelte';
import type { Components, HydrateOptions, HydrationPayload } from './ssrd.js';

export interface SvelteHydrateOptions extends HydrateOptions {
  /** Entries for the components' getContext(), as on the server. */
  context?: (payload: HydrationPayload) => Iterable<readonly [unknown, unknown]>;
  /** Compare the root's markup before and after hydration and log a difference; default: NODE_ENV !== "production". */
  dev?: boolean;
}

/** Hydrates the server's markup with the component the payload names; returns its exports. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export declare function hydrate(components: Components<Component<any>>, options?: SvelteHydrateOptions): Record<string, any> | Promise<Record<string, any> | null> | null;
