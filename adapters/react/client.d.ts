import type { ComponentType, ReactElement } from 'react';
import type { Root } from 'react-dom/client';
import type { Components, HydrateOptions, HydrationPayload } from './ssrd.js';

export interface ReactHydrateOptions extends HydrateOptions {
  /** The same providers as on the server. */
  wrap?: (element: ReactElement, payload: HydrationPayload) => ReactElement;
  /** Default: console.error("ssrd: hydration error in …"). */
  onRecoverableError?: (error: unknown, info: { componentStack?: string }) => void;
}

/** Hydrates the server's markup with the component the payload names. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export declare function hydrate(components: Components<ComponentType<any>>, options?: ReactHydrateOptions): Root | Promise<Root | null> | null;
