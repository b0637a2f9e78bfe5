export function wrap(tag, text) {
  return `<${tag}>${text}</${tag}>`;
}
