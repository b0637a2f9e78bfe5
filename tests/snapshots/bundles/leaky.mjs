// Leaves state behind on purpose: a global, a module-level cache and a pending timer. With a
// context per render none of it may reach the next render; with a reused context all of it does.
const cache = [];
console.log('leaky loaded');

export function render({ component, props }) {
  switch (component) {
    case 'Set':
      globalThis.leaked = props.value;
      cache.push(props.value);
      return 'set ' + props.value;
    case 'Get':
      return `global=${String(globalThis.leaked)} cache=${cache.join(',')}`;
    case 'Later':
      // A timer and console output from a context made from a snapshot.
      console.warn('waiting');
      return new Promise((resolve) => setTimeout(() => resolve('later ' + props.value), 5));
    default:
      throw Object.assign(new Error('no component ' + component), { code: 'not_found' });
  }
}
