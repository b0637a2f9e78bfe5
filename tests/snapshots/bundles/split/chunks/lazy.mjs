// Bundlers such as Rollup let a lazy chunk import from the entry chunk: that must be the entry
// module already loaded, never a second copy of it.
import { id } from './shared.mjs';
import { render } from '../entry.mjs';
export const sharedId = id;
export const entryRender = render;
export default function greet(name) { return 'hello ' + name; }
