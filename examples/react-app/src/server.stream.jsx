// The streaming server entry (dist/server.stream.mjs): the same components, rendered with
// React's renderToReadableStream. The daemon streams a request that asks for a stream (the shell
// first, each Suspense boundary as its data arrives) and answers others whole; inline scripts
// for late boundaries carry the request's nonce.
import { createRender } from '@ssrd/react/server';
import { components } from './registry.js';

export const render = createRender(components, { stream: true });
