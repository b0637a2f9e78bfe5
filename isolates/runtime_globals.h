// The JS runtime a bundle sees: console, TextEncoder/TextDecoder, timers, queueMicrotask,
// MessageChannel, performance.now, process.env.NODE_ENV, self/global, and the web APIs of
// isolates/web (URL, URLSearchParams, Event, EventTarget, DOMException, AbortController,
// AbortSignal, Headers, Request, Response, web streams, TextEncoderStream/TextDecoderStream,
// Blob, File, atob/btoa, crypto, structuredClone, and a fetch that always rejects). Nothing that
// reaches the file system or the network (no require; fetch refuses). The JS half lives in
// runtime_prelude.cc; the native half (console sink, timer queue, UTF-8 codecs, clock) is here,
// and web_natives.h (getrandom, V8's serializer).
//
// NewRuntimeContext is the one place a runtime is installed into a new context. A context made
// from a startup snapshot already holds it; BindRuntimeContext then points the RuntimeState at that
// context's hooks. Callers hold a HandleScope; state must outlive the context and be attached to
// the isolate (AttachRuntimeState) before any binding runs.
#pragma once

#include <cstdint>
#include <string_view>

#include <v8.h>

#include "ipc/error.h"
#include "isolates/runtime_state.h"

namespace ssrd::isolates {

// Makes `state` the one the runtime's native functions of this isolate use.
void AttachRuntimeState(v8::Isolate* isolate, RuntimeState* state);
// The state attached to `isolate`, or null: for V8 callbacks that get nothing but the isolate.
RuntimeState* AttachedRuntimeState(v8::Isolate* isolate);

// The native functions a context with the runtime holds, 0-terminated, for
// SnapshotCreator and Isolate::CreateParams::external_references. Lives for the process.
const std::intptr_t* RuntimeExternalReferences();

// Stores the hooks of `context` (made by NewRuntimeContext, or from a snapshot of one) in *state.
// False when the context has none (not a runtime context).
bool BindRuntimeContext(v8::Isolate* isolate, v8::Local<v8::Context> context, RuntimeState* state);

// Creates a context with the runtime installed and binds *state to its hooks. On
// failure (the prelude threw: a bug) returns empty and sets *error (kInternal).
v8::MaybeLocal<v8::Context> NewRuntimeContext(v8::Isolate* isolate, RuntimeState* state,
                                              ipc::Error* error);

// The prelude's source (runtime_prelude.cc): an expression evaluating to a function that takes
// the native bindings object and the web installer, and returns {fireTimer, clearTimers}.
std::string_view RuntimePreludeSource();

// The web APIs' source, generated at build time by isolates/web/build.mjs: an expression
// evaluating to a function install(global, host) (see isolates/web/src/index.js).
std::string_view WebRuntimeSource();

}  // namespace ssrd::isolates
