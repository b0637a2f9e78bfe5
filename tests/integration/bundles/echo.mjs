// The bundle of the client and integration tests: echoes its input, throws, or answers late.
export function render({component, props}) {
  if (component === "Throw") throw new Error("boom " + props.n);
  if (component === "Slow") return new Promise(r => setTimeout(() => r("<p>slow</p>"), props.ms));
  // A whole reply for ssrctl: head, status and console output; and a failure that logged first.
  if (component === "WithHead") {
    console.info("rendering " + props.title);
    return {html: "<h1>" + props.title + "</h1>", head: "<title>" + props.title + "</title>", status: 201};
  }
  if (component === "WarnThenThrow") {
    console.warn("about to fail");
    throw new TypeError("bad " + props.n);
  }
  return "<p>" + component + ":" + JSON.stringify(props) + "</p>";
}
