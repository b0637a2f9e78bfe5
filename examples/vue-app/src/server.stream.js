// The streaming server entry (dist/server.stream.mjs): the same components with the adapter's
// stream option. The daemon streams a request that asks for a stream and answers others whole.
import { createRender } from '@ssrd/vue/server';
import { components } from './registry.js';

export const render = createRender(components, { stream: true });
