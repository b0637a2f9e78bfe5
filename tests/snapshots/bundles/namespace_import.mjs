// `import * as` makes a module namespace object, which V8 10.2 cannot put into a snapshot: the
// snapshot builder fails on it, and workers must load this bundle without one.
import * as lib from './namespace_lib.mjs';

export function render({ props }) {
  return `<p>${lib.greeting}, ${props.name}</p>`;
}
