import type { InjectionKey } from 'vue';
import type { ServerContext } from './ssrd.js';

export type { ServerContext, RenderRequest, RenderResult, StreamRenderResult, HydrationPayload } from './ssrd.js';

/** The key the server render provides its ServerContext under. */
export declare const ssrdKey: InjectionKey<ServerContext>;
/** The render's server context, or null in the browser. Call it in setup(). */
export declare function useSsrd(): ServerContext | null;

export interface HeadTags {
  title?: string;
  meta?: Array<Record<string, string | boolean | null | undefined>>;
  link?: Array<Record<string, string | boolean | null | undefined>>;
}
/** Escaped tags for the reply's head; does nothing in the browser. Call it in setup(). */
export declare function useHead(tags: HeadTags): void;
