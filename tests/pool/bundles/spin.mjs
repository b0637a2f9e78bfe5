// echo.mjs plus a component that keeps its worker busy for props.ms milliseconds, so tests can
// hold a request in flight (to kill its worker) or keep one queued behind it (to cancel it), and
// one that fills the heap until the worker's limit stops it, and one that counts the renders its worker has run (a module variable: kept by the default
// isolation), so tests can see what a worker rendered before a request.
let renders = 0;
export function render({component, props}) {
  ++renders;
  if (component === "Spin") {
    const end = Date.now() + props.ms;
    while (Date.now() < end) {}
  }
  if (component === "Hog") {
    const hoard = [];
    for (;;) hoard.push(new Array(1e5).fill(renders));
  }
  if (component === "Count") return "<p>Count:" + renders + "</p>";
  return "<p>" + component + ":" + JSON.stringify(props) + "</p>";
}
