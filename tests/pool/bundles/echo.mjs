export function render({component, props}) { return "<p>" + component + ":" + JSON.stringify(props) + "</p>"; }
