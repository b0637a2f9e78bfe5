// The JS runtime a bundle sees: console, TextEncoder/TextDecoder, timers, queueMicrotask,
// MessageChannel, performance.now, process.env.NODE_ENV, self/global. Nothing that reaches the
// file system or the network (no fetch, no require). The JS half lives in runtime_prelude.cc; the
// native half (console sink, timer queue, UTF-8 codecs, clock) is here.
//
// NewRuntimeContext is the one place contexts are made, so that a context per render (from a
// snapshot) changes this function only. Callers hold a HandleScope; state must outlive the context.
#pragma once

#include <string_view>

#include <v8.h>

#include "ipc/error.h"
#include "isolates/runtime_state.h"

namespace ssrd::isolates {

// Creates a context with the runtime installed and stores the prelude's hooks in *state. On
// failure (the prelude threw: a bug) returns empty and sets *error (kInternal).
v8::MaybeLocal<v8::Context> NewRuntimeContext(v8::Isolate* isolate, RuntimeState* state,
                                              ipc::Error* error);

// The prelude's source (runtime_prelude.cc): an expression evaluating to a function that takes
// the native bindings object and returns {fireTimer, clearTimers}.
std::string_view RuntimePreludeSource();

}  // namespace ssrd::isolates
