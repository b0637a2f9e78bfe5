import { id } from './shared.mjs';
export const sharedId = id;
export default function greet(name) { return 'hello ' + name; }
