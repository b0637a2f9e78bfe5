export function checkTitle(title) {
  if (typeof title !== 'string') {
    throw new TypeError(`title must be a string, got ${typeof title}`);
  }
  return title;
}
