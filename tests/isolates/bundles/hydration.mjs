// Components for the engine's hydration JSON (tests/isolates/hydration_json_test.cc).
const components = {
  // Changes its props while rendering: the hydration JSON must show them as they came in.
  Mutate: (props) => {
    props.added = 'by render';
    props.name = 'changed';
    return { html: '<p>m</p>', data: { seen: props.name } };
  },
  AsyncData: async () => {
    await new Promise((resolve) => setTimeout(resolve, 1));
    return { html: '<p>a</p>', data: [1, 'two', { three: 3 }] };
  },
  ThrowingGetter: () => ({
    html: '<p>g</p>',
    get data() {
      throw new Error('no data for you');
    },
  }),
  ThrowingToJSON: () => ({ html: '<p>t</p>', data: { toJSON() { throw new RangeError('nope'); } } }),
  NullData: () => ({ html: '<p>n</p>', data: null }),
  DateData: () => ({ html: '<p>d</p>', data: { when: new Date(0) } }),
  Text: () => 'plain',
};

export function render({ component, props }) {
  return components[component](props);
}
