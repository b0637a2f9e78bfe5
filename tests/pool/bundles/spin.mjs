// echo.mjs plus a component that keeps its worker busy for props.ms milliseconds, so tests can
// hold a request in flight (to kill its worker) or keep one queued behind it (to cancel it).
export function render({component, props}) {
  if (component === "Spin") {
    const end = Date.now() + props.ms;
    while (Date.now() < end) {}
  }
  return "<p>" + component + ":" + JSON.stringify(props) + "</p>";
}
