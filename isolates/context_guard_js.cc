// The JS half of the context guard (context_guard.h). Evaluated once per context, after the
// bundle has loaded; it returns {quick, full}. Every intrinsic it calls later is captured here, so
// a render that replaced a builtin cannot change what the checks do.
#include "isolates/context_guard.h"

namespace ssrd::isolates {

const char* const kContextGuardSource = R"JS(
(function () {
  'use strict';
  const g = globalThis;
  const O = Object;
  const getProto = O.getPrototypeOf, getDesc = O.getOwnPropertyDescriptor, seal = O.seal,
        is = O.is, ownKeys = Reflect.ownKeys, apply = Reflect.apply, Str = String,
        stringify = JSON.stringify, MakeFunction = Function, MapCtor = Map,
        mapGet = Map.prototype.get, mapSet = Map.prototype.set, mapHas = Map.prototype.has;

  // [name, object, locked, path]; every object once. `path` is a JS expression that reaches the
  // object from the global object by plain property loads, when there is one: TurboFan folds such
  // loads of builtins to constants (guarded by a deoptimisation dependency), which is what makes
  // the quick check cost well under a nanosecond per property once optimised.
  const watched = [];
  const seen = new MapCtor();
  const watch = (name, object, locked, path) => {
    if ((typeof object !== 'object' && typeof object !== 'function') || object === null) return;
    if (apply(mapHas, seen, [object])) return;
    apply(mapSet, seen, [object, true]);
    watched[watched.length] = [name, object, locked, path];
  };
  watch('globalThis', g, false, 'globalThis');
  // Prototypes V8 checks by hidden class in its fast paths stay unlocked (see context_guard.h).
  const unlockedPrototypes = ['RegExp', 'Function'];
  const constructors = ['Object', 'Function', 'Array', 'String', 'Number', 'Boolean', 'Symbol',
      'BigInt', 'Date', 'RegExp', 'Error', 'EvalError', 'RangeError', 'ReferenceError',
      'SyntaxError', 'TypeError', 'URIError', 'AggregateError', 'Promise', 'Map', 'Set', 'WeakMap',
      'WeakSet', 'WeakRef', 'FinalizationRegistry', 'ArrayBuffer', 'SharedArrayBuffer', 'DataView',
      'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array',
      'Uint32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array'];
  for (const name of constructors) {
    const C = getDesc(g, name);
    if (!C || typeof C.value !== 'function') continue;
    watch(name, C.value, false, name);
    const proto = getDesc(C.value, 'prototype');
    if (proto) watch(name + '.prototype', proto.value, !unlockedPrototypes.includes(name),
                     name + '.prototype');
  }
  const TypedArray = getProto(Uint8Array);
  watch('TypedArray', TypedArray, false);
  watch('TypedArray.prototype', TypedArray.prototype, true);
  const arrayIterator = getProto([][Symbol.iterator]());
  watch('ArrayIterator.prototype', arrayIterator, false);
  watch('Iterator.prototype', getProto(arrayIterator), false);
  watch('StringIterator.prototype', getProto(''[Symbol.iterator]()), false);
  watch('MapIterator.prototype', getProto(new Map()[Symbol.iterator]()), false);
  watch('SetIterator.prototype', getProto(new Set()[Symbol.iterator]()), false);
  const generatorFunction = getProto(function* () {});
  watch('GeneratorFunction.prototype', generatorFunction, false);
  watch('Generator.prototype', generatorFunction.prototype, false);
  watch('AsyncFunction.prototype', getProto(async function () {}), false);
  for (const name of ['Math', 'JSON', 'Reflect', 'Atomics', 'Intl', 'console']) {
    const d = getDesc(g, name);
    if (d && 'value' in d) watch(name, d.value, false, name);
  }

  // What each watched object holds now: [keys, descriptors by key]. Index loops, not for…of or
  // destructuring, from here on: those call Array.prototype[Symbol.iterator], which a render may
  // have replaced.
  const snapshotOf = (object) => {
    const keys = ownKeys(object);
    const descs = new MapCtor();
    for (let k = 0; k < keys.length; k++) apply(mapSet, descs, [keys[k], getDesc(object, keys[k])]);
    return [keys, descs];
  };
  const before = [];
  for (const [name, object, locked] of watched) {
    if (locked) seal(object);
    before[before.length] = snapshotOf(object);
  }

  // The quick check: one straight-line function, one load and compare per property, then the
  // number of enumerable own keys of the unlocked objects that matter most (what assignment adds).
  // Object.keys, not for…in: for…in walks the prototype chain and hashes every key it meets
  // (perf: 20% of a small render), Object.keys reads one object, from its enum cache if it has one.
  const keys = O.keys;
  const args = ['getProto', 'gProto', 'keys'];
  const values = [getProto, getProto(g), keys];
  const arg = (value) => { args[args.length] = 'a' + args.length; values[values.length] = value;
                           return args[args.length - 1]; };
  let body = 'if (getProto(globalThis) !== gProto) return false;\n';
  watched.forEach(([name, object, locked, path], i) => {
    const o = path || arg(object);
    for (const [key, d] of before[i][1]) {
      // Writable data properties only: an accessor would run code when read; a read-only one
      // changes only through defineProperty, which the full scan sees (and reading a function's
      // read-only name or length goes through a native accessor: ~80 of them cost 3 µs); NaN
      // is never === itself.
      if (!('value' in d) || !d.writable || d.value !== d.value) continue;
      const ref = typeof key === 'symbol' ? '[' + arg(key) + ']' : '[' + stringify(key) + ']';
      body += 'if (' + o + ref + ' !== ' + arg(d.value) + ') return false;\n';
    }
  });
  body += 'return keys(globalThis).length === ' + keys(g).length +
          ' && keys(Function.prototype).length === ' + keys(Function.prototype).length +
          ' && keys(RegExp.prototype).length === ' + keys(RegExp.prototype).length + ';';
  const quick = apply(MakeFunction(...args, 'return function quick() {\n' + body + '\n};'),
                      undefined, values);

  // The full scan: every own key of every watched object, named.
  const describe = (name, key) => typeof key === 'symbol' ? name + '[' + Str(key) + ']'
                                                          : name + '.' + key;
  const same = (a, b) => 'value' in a ? 'value' in b && is(a.value, b.value)
                                      : !('value' in b) && a.get === b.get && a.set === b.set;
  const full = () => {
    const found = [];
    const note = (text) => { found[found.length] = text; };
    if (getProto(g) !== values[1]) note('the prototype of globalThis (replaced)');
    for (let i = 0; i < watched.length; i++) {
      const name = watched[i][0], keys = before[i][0], descs = before[i][1];
      const now = snapshotOf(watched[i][1]);
      for (let k = 0; k < keys.length; k++) {
        const d = apply(mapGet, now[1], [keys[k]]);
        if (d === undefined) note(describe(name, keys[k]) + ' (removed)');
        else if (!same(apply(mapGet, descs, [keys[k]]), d)) note(describe(name, keys[k]) + ' (replaced)');
      }
      for (let k = 0; k < now[0].length; k++) {
        if (!apply(mapHas, descs, [now[0][k]])) note(describe(name, now[0][k]) + ' (added)');
      }
    }
    return found;
  };
  return { quick, full };
})
)JS";

}  // namespace ssrd::isolates
