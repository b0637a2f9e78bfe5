// Imported relatively by app.mjs; imports its sibling to check resolution from its own directory.
import { wrap } from './wrap.mjs';

export function greet(name) {
  return wrap('p', `Hello ${name}`);
}
