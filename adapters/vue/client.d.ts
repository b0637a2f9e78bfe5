import type { App, Component } from 'vue';
import type { Components, HydrateOptions, HydrationPayload } from './ssrd.js';

export interface VueHydrateOptions extends HydrateOptions {
  /** The same plugins as on the server; the app mounts after a returned promise. */
  setup?: (app: App, payload: HydrationPayload) => void | Promise<void>;
  /** Turn Vue's hydration warnings into console.error; default: NODE_ENV !== "production". */
  dev?: boolean;
}

/** Hydrates the server's markup with the component the payload names; returns the app. */
export declare function hydrate(components: Components<Component>, options?: VueHydrateOptions): App | Promise<App | null> | null;
