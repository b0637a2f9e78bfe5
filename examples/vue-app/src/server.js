// Server entry, loaded by the ssrd worker (bare V8, no Node builtins).
import { createRender } from '@ssrd/vue/server';
import { components } from './registry.js';

export const render = createRender(components);
