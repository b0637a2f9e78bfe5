// A bundle that cannot be parsed: ssrd must refuse to start with a SyntaxError.
export function render({component}) {
  return "<p>" + component + "</p>";
)
