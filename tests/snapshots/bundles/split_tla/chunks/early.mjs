export const message = 'early chunk';
export const loadedAt = 'load';
