// The JS half of the context guard (context_guard.h). Evaluated once per context, after the
// bundle has loaded (by the snapshot builder, for a context that comes from a snapshot); it
// returns {quick, full, lock}. Every intrinsic it calls later is captured here, so a render that
// replaced a builtin cannot change what the checks do.
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
  // Prototypes V8 checks by hidden class in its fast paths (RegExp, Function) stay unlocked (see
  // context_guard.h).
  const constructors = ['Object', 'Function', 'Array', 'String', 'Number', 'Boolean', 'Symbol',
      'BigInt', 'Date', 'RegExp', 'Error', 'EvalError', 'RangeError', 'ReferenceError',
      'SyntaxError', 'TypeError', 'URIError', 'AggregateError', 'Promise', 'Map', 'Set', 'WeakMap',
      'WeakSet', 'WeakRef', 'FinalizationRegistry', 'ArrayBuffer', 'SharedArrayBuffer', 'DataView',
      'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array',
      'Uint32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array'];
  const namespaces = ['Math', 'JSON', 'Reflect', 'Atomics', 'Intl', 'console'];
  // The builtins reached by a global name; again by rebase(), for those V8 adds after a snapshot.
  // Index loops: rebase() runs them after the bundle's own code.
  const watchNamed = () => {
    for (let n = 0; n < constructors.length; n++) {
      const name = constructors[n];
      const C = getDesc(g, name);
      if (!C || typeof C.value !== 'function') continue;
      watch(name, C.value, false, name);
      const proto = getDesc(C.value, 'prototype');
      if (proto) watch(name + '.prototype', proto.value, name !== 'RegExp' && name !== 'Function',
                       name + '.prototype');
    }
    for (let n = 0; n < namespaces.length; n++) {
      const d = getDesc(g, namespaces[n]);
      if (d && 'value' in d) watch(namespaces[n], d.value, false, namespaces[n]);
    }
  };
  watchNamed();
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

  // What each watched object holds now: [keys, descriptors by key]. Index loops, not for…of or
  // destructuring, from here on: those call Array.prototype[Symbol.iterator], which a render may
  // have replaced.
  const snapshotOf = (object) => {
    const keys = ownKeys(object);
    const descs = new MapCtor();
    for (let k = 0; k < keys.length; k++) apply(mapSet, descs, [keys[k], getDesc(object, keys[k])]);
    return [keys, descs];
  };
  // Sealing changes no value and no key, only configurability, which neither check compares; so
  // the state can be recorded before lock() runs, which a snapshot's context defers to the worker
  // (only --isolation guarded locks).
  const globalProto = getProto(g);
  const before = [];
  for (let i = 0; i < watched.length; i++) before[before.length] = snapshotOf(watched[i][1]);
  const lock = () => {
    for (let i = 0; i < watched.length; i++) if (watched[i][2]) seal(watched[i][1]);
  };

  // The quick check: one straight-line function, one load and compare per property, then the
  // number of enumerable own keys of the unlocked objects that matter most (what assignment adds).
  // Object.keys, not for…in: for…in walks the prototype chain and hashes every key it meets
  // (perf: 20% of a small render), Object.keys reads one object, from its enum cache if it has one.
  const keys = O.keys;
  const counts = [0, 0, 0];
  const countKeys = () => {
    counts[0] = keys(g).length;
    counts[1] = keys(Function.prototype).length;
    counts[2] = keys(RegExp.prototype).length;
  };
  countKeys();
  const later = { added: () => true };  // set by rebase()
  // A property of the global object is read by its bare name where it has one: TurboFan folds a
  // global variable's load to a constant through its property cell even though the global
  // object has an interceptor (runtime_globals.cc), which makes `globalThis[key]` a generic load.
  // A deleted one then throws a ReferenceError, which QuickCheck() counts as a change. Not for
  // names the function's own parameters (ssrd$…) or the grammar take.
  const reserved = new MapCtor();
  const words = ['break', 'case', 'catch', 'class', 'const', 'continue', 'debugger', 'default',
      'delete', 'do', 'else', 'enum', 'export', 'extends', 'false', 'finally', 'for', 'function',
      'if', 'import', 'in', 'instanceof', 'new', 'null', 'return', 'super', 'switch', 'this',
      'throw', 'true', 'try', 'typeof', 'var', 'void', 'while', 'with', 'arguments', 'eval'];
  for (let w = 0; w < words.length; w++) apply(mapSet, reserved, [words[w], true]);
  const test = RegExp.prototype.test, plain = /^[A-Za-z_][A-Za-z0-9_]*$/;
  const isPlainName = (key) => typeof key === 'string' && apply(test, plain, [key]) &&
                               !apply(mapHas, reserved, [key]);
  // A function that compares each of `entries` ([watched index, key, descriptor]) with its value
  // now, between `prefix` and `suffix`.
  const compiled = (entries, prefix, suffix) => {
    const args = ['ssrd$getProto', 'ssrd$gProto', 'ssrd$keys', 'ssrd$counts', 'ssrd$later'];
    const values = [getProto, getProto(g), keys, counts, later];
    const arg = (value) => { args[args.length] = 'ssrd$' + args.length; values[values.length] = value;
                             return args[args.length - 1]; };
    const paths = [];
    let body = prefix;
    for (let e = 0; e < entries.length; e++) {
      const i = entries[e][0], key = entries[e][1], d = entries[e][2];
      // Writable data properties only: an accessor would run code when read; a read-only one
      // changes only through defineProperty, which the full scan sees (and reading a function's
      // read-only name or length goes through a native accessor: ~80 of them cost 3 µs); NaN
      // is never === itself.
      if (!('value' in d) || !d.writable || d.value !== d.value) continue;
      if (paths[i] === undefined) paths[i] = watched[i][3] || arg(watched[i][1]);
      const ref = typeof key === 'symbol' ? paths[i] + '[' + arg(key) + ']'
                : i === 0 && isPlainName(key) ? key : paths[i] + '[' + stringify(key) + ']';
      body += 'if (' + ref + ' !== ' + arg(d.value) + ') return false;\n';
    }
    args[args.length] = 'return function quick() {\n' + body + suffix + '\n};';
    return apply(apply(MakeFunction, undefined, args), undefined, values);
  };
  const entries = [];
  for (let i = 0; i < watched.length; i++) {
    const recorded = before[i][0], descs = before[i][1];
    for (let k = 0; k < recorded.length; k++) {
      entries[entries.length] = [i, recorded[k], apply(mapGet, descs, [recorded[k]])];
    }
  }
  const quick = compiled(entries, 'if (ssrd$getProto(globalThis) !== ssrd$gProto) return false;\n',
                         'return ssrd$keys(Function.prototype).length === ssrd$counts[1] && ' +
                         'ssrd$keys(RegExp.prototype).length === ssrd$counts[2] && ' +
                         'ssrd$later.added();');

  // For a context made from a snapshot: V8 adds to every context it makes outside a snapshot
  // builder what the builder's context lacked (WebAssembly, SharedArrayBuffer, Atomics,
  // Error.stackTraceLimit, Array.prototype.at, …). rebase() records those additions and checks
  // them too. False when anything else differs from the record (a property gone or replaced):
  // then the caller records the context afresh.
  const rebase = () => {
    const added = [];
    const recordedObjects = watched.length;
    watchNamed();
    for (let i = recordedObjects; i < watched.length; i++) {
      before[i] = snapshotOf(watched[i][1]);
      const recorded = before[i][0];
      for (let k = 0; k < recorded.length; k++) {
        added[added.length] = [i, recorded[k], apply(mapGet, before[i][1], [recorded[k]])];
      }
    }
    for (let i = 0; i < recordedObjects; i++) {
      const object = watched[i][1], recorded = before[i][0], descs = before[i][1];
      const now = ownKeys(object);
      let kept = 0;
      for (let k = 0; k < now.length; k++) {
        if (apply(mapHas, descs, [now[k]])) { kept++; continue; }
        added[added.length] = [i, now[k], getDesc(object, now[k])];
      }
      if (kept !== recorded.length) return false;
    }
    for (let a = 0; a < added.length; a++) {
      const i = added[a][0], recorded = before[i][0];
      if (i >= recordedObjects) continue;  // recorded whole above
      recorded[recorded.length] = added[a][1];
      apply(mapSet, before[i][1], [added[a][1], added[a][2]]);
    }
    countKeys();
    if (added.length !== 0) later.added = compiled(added, '', 'return true;');
    return quick();
  };

  // The full scan: every own key of every watched object, named.
  const describe = (name, key) => typeof key === 'symbol' ? name + '[' + Str(key) + ']'
                                                          : name + '.' + key;
  const same = (a, b) => 'value' in a ? 'value' in b && is(a.value, b.value)
                                      : !('value' in b) && a.get === b.get && a.set === b.set;
  const full = () => {
    const found = [];
    const note = (text) => { found[found.length] = text; };
    if (getProto(g) !== globalProto) note('the prototype of globalThis (replaced)');
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
  return { quick, full, lock, rebase };
})
)JS";

}  // namespace ssrd::isolates
