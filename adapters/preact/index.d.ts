import type { ComponentChildren, Context } from 'preact';
import type { ServerContext } from './ssrd.js';

export type { ServerContext, RenderRequest, RenderResult, StreamRenderResult, HydrationPayload } from './ssrd.js';

/** Holds the render's ServerContext on the server; null in the browser. */
export declare const SsrdContext: Context<ServerContext | null>;
/** The render's server context, or null in the browser. */
export declare function useSsrd(): ServerContext | null;
/** Its children become the reply's head (static markup); renders nothing itself. */
export declare function Head(props: { children?: ComponentChildren }): null;
