// The guard of `--isolation guarded`: one warm context serves every render of a worker, and the
// guard tells when a render left something behind on the global object or the builtins, so that
// the engine replaces the context before the next render.
//
// How it stays cheap (a few µs per render, architecture.md "Isolation"):
// - Install() locks what can be locked without breaking ordinary code or V8's fast paths:
//   Object.seal on the builtin prototypes (Object, Array, String, Number, Boolean,
//   Symbol, BigInt, Date, the Errors, Promise, Map, Set, WeakMap, WeakSet, ArrayBuffer, DataView,
//   the typed arrays), so adding to them throws at once in strict code (a no-op in sloppy code).
//   Not frozen: a frozen prototype breaks assignments that shadow an inherited method. Not
//   RegExp.prototype or Function.prototype: V8's fast paths for regexp methods and bind check
//   their hidden class, which sealing changes (String#replace 5x, bind 6x slower).
// - QuickCheck() runs one generated JS function (optimised by TurboFan after a few renders) that
//   compares every writable own data property of the watched objects (global object, builtin
//   prototypes and constructors, Math, JSON, Reflect, Intl, console, ...) by identity with its
//   value right after install (TurboFan folds the loads of builtins to constants), and counts the
//   enumerable own keys of Function.prototype and RegExp.prototype (what plain assignment adds).
//   Globals added since install are counted by the global object's interceptor
//   (runtime_globals.cc, RuntimeState::globals_added), which is cheaper than enumerating the
//   global object's ~1000 properties after every render. That covers replaced, deleted and added
//   properties; seen only by the full scan: a property added to an unlocked constructor, a global
//   declared by `var` in indirect eval (V8 declares it past the interceptor) and one that shadows
//   a name the global object inherits (the interceptor hears only of names found nowhere).
// - FullScan() compares every own key and value of every watched object. The engine runs it when
//   QuickCheck() is not kClean (to name what changed) and after every kFullScanEvery renders, no sooner
//   than kFullScanMinInterval after the last scan (so that renders of a few µs do not pay a scan
//   every few ms).
//
// Caller holds a HandleScope and has entered `context`, on the isolate's thread. JS run by the
// checks never runs user code (plain loads of data properties; accessors are not read) and uses
// intrinsics captured at install time, so a render that patched the builtins cannot fool it.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <v8.h>

#include "ipc/error.h"

namespace ssrd::isolates {

class ContextGuard {
 public:
  static constexpr std::uint64_t kFullScanEvery = 1000;
  static constexpr std::chrono::milliseconds kFullScanMinInterval{50};

  // Records the state of the builtins and the global object of `context` and keeps the checks in
  // the context itself, unlocked: the snapshot builder calls it right after the bundle loaded, so
  // that Install() in a context made from the snapshot finds them ready instead of spending
  // milliseconds on the way to a worker's first page (or after each reset). Fails as Install().
  static ipc::Result<void> Prepare(v8::Isolate* isolate, v8::Local<v8::Context> context);

  // Locks the builtin prototypes of `context` and takes its checks: those Prepare() left there,
  // else made now (recording the state as it is). Fails with kInternal when the guard script
  // itself fails (a bundle that broke the builtins at load time so badly that
  // Object.getOwnPropertyDescriptor no longer works).
  ipc::Result<void> Install(v8::Isolate* isolate, v8::Local<v8::Context> context);

  enum class Check {
    kClean,         // nothing the quick check covers changed since Install()
    kGlobalsAdded,  // only the count of added globals moved: a render may have deleted them
                    // again, which only the full scan can tell
    kChanged,
  };
  Check QuickCheck(v8::Isolate* isolate, v8::Local<v8::Context> context);

  // What changed since Install(), one entry per property, e.g. "globalThis.leak (added)",
  // "Array.prototype.map (replaced)", "globalThis.URL (removed)". Empty when nothing did; the
  // count of added globals then starts again from its present value.
  std::vector<std::string> FullScan(v8::Isolate* isolate, v8::Local<v8::Context> context);

  void Reset();
  bool installed() const { return !quick_.IsEmpty(); }
  // Whether Install() took the record Prepare() left in the context (else it made one).
  bool adopted() const { return adopted_; }

 private:
  bool adopted_ = false;
  std::uint64_t globals_added_ = 0;
  v8::Global<v8::Function> quick_;
  v8::Global<v8::Function> full_;
};

// The guard's JS source (context_guard_js.cc).
extern const char* const kContextGuardSource;

}  // namespace ssrd::isolates
