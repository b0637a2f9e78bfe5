export function renderLazy(props) {
  if (!Array.isArray(props.items)) {
    throw new RangeError('items must be an array');
  }
  return `<ul>${props.items.map((item) => `<li>${item}</li>`).join('')}</ul>`;
}
