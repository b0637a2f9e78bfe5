// The bundle of the client and integration tests: echoes its input, throws, or answers late.
export function render({component, props}) {
  if (component === "Throw") throw new Error("boom " + props.n);
  if (component === "Slow") return new Promise(r => setTimeout(() => r("<p>slow</p>"), props.ms));
  return "<p>" + component + ":" + JSON.stringify(props) + "</p>";
}
