import { nothing } from './lib/does-not-exist.mjs';
export const render = () => nothing;
