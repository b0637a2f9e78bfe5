// One render per kind of leftover that docs/operations.md ("Isolation") makes a claim about, and
// a Probe that shows what the next render sees. An ES module: its code is strict, so an assignment
// the guard's lock refuses throws instead of doing nothing.
let moduleCounter = 0;

export function render({ component, props }) {
  switch (component) {
    case 'SetGlobal':
      globalThis.leakedGlobal = props.value;
      return 'set';
    case 'PolluteArrayPrototype':
      Array.prototype.leakedMethod = function () { return 'polluted'; };
      return 'polluted';
    case 'ReplaceBuiltin':
      Array.prototype.map = function () { return ['replaced']; };
      return 'replaced';
    case 'DeleteBuiltin':
      delete globalThis.parseFloat;
      return 'deleted';
    case 'HiddenGlobal':
      Object.defineProperty(globalThis, 'hiddenGlobal', { value: 1, enumerable: false });
      return 'hidden';
    case 'TemporaryGlobal':
      globalThis.temporaryGlobal = props.value;
      delete globalThis.temporaryGlobal;
      return 'temporary';
    case 'GlobalByEval':
      (0, eval)('var evalGlobal = 1');
      return 'declared';
    case 'ShadowInheritedName':
      globalThis.hasOwnProperty = () => true;
      return 'shadowed';
    case 'StaticOnAConstructor':
      Array.leakedStatic = 1;
      return 'static';
    case 'StoreInModule':
      moduleCounter += 1;
      return 'stored';
    case 'Probe':
      return JSON.stringify({
        global: globalThis.leakedGlobal === undefined ? null : globalThis.leakedGlobal,
        arrayPrototype: typeof [].leakedMethod,
        map: [1, 2].map((x) => x * 2).join(','),
        parseFloat: typeof parseFloat,
        hidden: typeof globalThis.hiddenGlobal,
        static: typeof Array.leakedStatic,
        module: moduleCounter,
      });
    default:
      throw Object.assign(new Error('no component ' + component), { code: 'not_found' });
  }
}
