// An ES module in a .js file: compiling it as a classic script fails on `export`.
import { wrap } from './lib/wrap.mjs';
export const render = (request) => wrap('b', request.component);
