// Client entry: hydrates <div id="root"> from the #ssrd-data payload.
import { hydrate } from '@ssrd/svelte/client';
import { components } from './registry.js';

hydrate(components);
