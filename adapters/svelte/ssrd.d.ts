// Types shared by the ssrd adapters. (Canonical copy in adapters/shared/: `npm run sync-shared`
// copies it into each package.)

/** What the worker passes to the bundle's render(). */
export interface RenderRequest {
  component: string;
  props: Record<string, unknown>;
  url: string;
  /** The request's CSP nonce, when it gave one (the same as the hydration script's). */
  nonce?: string;
}

/** What render() returns; the worker writes `data` into the hydration script. */
export interface RenderResult {
  html: string;
  head: string;
  status: number;
  data?: unknown;
}

/** A bundle's render function, as the worker calls it. */
export type Render = (request: RenderRequest) => RenderResult | Promise<RenderResult>;

/**
 * What render() returns with `stream: true`: html is the framework's stream; head, status and
 * data are read after it has ended (as the daemon reads them), so late parts of the page count.
 */
export interface StreamRenderResult {
  html: ReadableStream<Uint8Array | string>;
  readonly head: string;
  readonly status: number;
  readonly data?: unknown;
}

/** A bundle's render function with `stream: true`. */
export type StreamRender = (request: RenderRequest) => StreamRenderResult | Promise<StreamRenderResult>;

/** Options every createRender() takes. */
export interface RenderOptions {
  /**
   * `true`: html is a ReadableStream from the framework's streaming renderer (Svelte: the whole
   * page as one chunk), which the daemon streams to a client that asked for a stream and reads
   * whole otherwise. Head, status and data are read when the stream has ended.
   */
  stream?: boolean;
  /** The nonce of the inline scripts a streaming renderer writes (React, Preact); default: request.nonce. */
  nonce?: string | ((request: RenderRequest) => string | undefined);
}

/** A map of components by name, or a resolver that may load one lazily. */
export type Components<C> =
  | Record<string, C>
  | ((name: string) => C | { default: C } | undefined | null | Promise<C | { default: C } | undefined | null>);

/** One render's server context, reached from components through the adapter's useSsrd(). */
export interface ServerContext {
  readonly request: RenderRequest;
  readonly status: number;
  /** The redirect target, or null. */
  readonly location: string | null;
  /** An integer from 100 to 999; anything else throws a RangeError. */
  setStatus(code: number): void;
  /** Sets a 301, 302 (default), 303, 307 or 308 status and adds a meta refresh to the head. */
  redirect(location: string, status?: 301 | 302 | 303 | 307 | 308): void;
  /** JSON-serialisable data for the browser: the hydration payload's `data`. */
  setData(data: unknown): void;
  /** Trusted markup appended to the head: escape what you put in it. */
  addHead(markup: string): void;
}

/** The hydration payload the worker writes: {component, props, data?}. */
export interface HydrationPayload {
  component: string;
  props: Record<string, unknown>;
  data?: unknown;
}

/** Options every hydrate() takes. */
export interface HydrateOptions {
  /** Id of the `<script type="application/json">` element; default "ssrd-data". */
  id?: string;
  /** Read `window[global]` instead (the hydrate_global form of the script). */
  global?: string;
  /** The element holding the server's markup, or a selector; default "#root". */
  root?: Element | string;
  /** Called once hydration has committed; `<html data-ssrd-hydrated="true">` is set then too. */
  onHydrated?: (payload: HydrationPayload) => void;
}
