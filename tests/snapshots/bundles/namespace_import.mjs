// `import * as` makes a module namespace object, which V8 10.2 puts into a snapshot only because
// the runtime lists its accessors as external references (isolates/dynamic_import.cc).
import * as lib from './namespace_lib.mjs';

export function render({ props }) {
  return `<p>${lib.greeting}, ${props.name}</p>`;
}
