// A valid module that exports no render function: ssrd must refuse to start.
export function hydrate() {
  return "nothing to see";
}
export const version = 1;
