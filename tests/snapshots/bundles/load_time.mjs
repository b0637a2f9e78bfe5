// Values computed while the bundle loads, which a startup snapshot freezes, beside the same values
// computed at render time: which time zone the bundle was evaluated in, and whether Math.random
// goes on from a state the snapshot froze (docs/operations.md, "What a snapshot freezes").
function zone(date) {
  return `${date.getTimezoneOffset()} ${String(date).replace(/^.*\((.*)\)$/, '$1')}`;
}

const loadedZone = zone(new Date(0));
// Also fills V8's cache of random numbers while the snapshot is being made.
const loadedRandom = Math.random();

export function render({ component }) {
  switch (component) {
    case 'Zone':
      return `load=${loadedZone} render=${zone(new Date(0))}`;
    case 'Random':
      return JSON.stringify({
        loaded: loadedRandom,
        render: [Math.random(), Math.random(), Math.random(), Math.random()],
      });
    default:
      throw Object.assign(new Error('no component ' + component), { code: 'not_found' });
  }
}
