// The smallest useful component: the cheap case for latency measurements.
export function Tiny({ name = 'world' }) {
  // One text node (a template string, not "Hello, {name}!") so the markup has
  // no <!-- --> separators and is easy to assert on.
  return <p className="tiny">{`Hello, ${name}!`}</p>;
}
