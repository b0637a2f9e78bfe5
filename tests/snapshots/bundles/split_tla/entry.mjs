// import() at load time (top-level await): the chunk is part of the snapshot and of its recorded
// source files.
const early = await import('./chunks/early.mjs');
export function render() { return early.message + ' ' + early.loadedAt; }
