import type { ServerContext } from './ssrd.js';

export type { ServerContext, RenderRequest, RenderResult, StreamRenderResult, HydrationPayload } from './ssrd.js';

/** The context key the server render sets its ServerContext under. */
export declare const ssrdKey: unique symbol;
/** The render's server context, or null in the browser. Call it while the component initialises. */
export declare function useSsrd(): ServerContext | null;
