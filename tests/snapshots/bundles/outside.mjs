export const secret = 'outside the bundle directory';
