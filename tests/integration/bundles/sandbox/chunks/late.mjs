// Imported only by a render: read after the worker's sandbox closed, so from the preloaded files.
export function text() { return 'late chunk'; }
