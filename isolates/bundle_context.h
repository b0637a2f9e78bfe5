// A context holding the runtime and the evaluated bundle, with the bundle's render function kept
// on its global object under a private key. That is the unit both a startup snapshot stores
// (snapshots/) and the engine renders in: made here by evaluating the bundle, or made by V8 from
// a snapshot, it is read back the same way by BindBundleContext.
//
// Failure: NewBundleContext returns the loader's kBundleError (module_loader.h) or the runtime's
// kInternal; BindBundleContext returns kInternal when the context was not made by
// NewBundleContext (a snapshot of something else). Caller holds a HandleScope on the isolate's
// thread; `state` is attached to the isolate (AttachRuntimeState); state and graph outlive the
// context.
#pragma once

#include <string>

#include <v8.h>

#include "ipc/error.h"
#include "isolates/module_loader.h"
#include "isolates/runtime_state.h"

namespace ssrd::isolates {

// A new runtime context with the bundle at `bundle_path` evaluated in it (top-level await run to
// completion), `graph` attached, and `state` bound to its hooks.
ipc::Result<v8::Local<v8::Context>> NewBundleContext(v8::Isolate* isolate, RuntimeState* state,
                                                     ModuleGraph* graph,
                                                     const std::string& bundle_path);

// Binds `state` to the hooks of a context made by NewBundleContext (or from a snapshot of one)
// and returns the bundle's render function.
ipc::Result<v8::Local<v8::Function>> BindBundleContext(v8::Isolate* isolate,
                                                       v8::Local<v8::Context> context,
                                                       RuntimeState* state);

}  // namespace ssrd::isolates
