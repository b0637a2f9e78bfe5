// An Intl formatter made while the bundle loads holds ICU state V8 10.2 cannot put into a
// snapshot: the snapshot builder dies on it, and workers must load this bundle without one.
const dates = new Intl.DateTimeFormat('en-US', { timeZone: 'UTC' });

export function render({ props }) {
  return `<p>hello, ${props.name}</p>` + (dates ? '' : '?');
}
