// Promise rejections nobody handles during a render. Without this they vanish: V8 only reports
// them to an embedder that asks (Isolate::SetPromiseRejectCallback), and a render that drops a
// rejection and then hangs would time out with no hint why.
//
// The callback keeps each promise rejected with no handler in RuntimeState, and forgets it when
// a handler is attached later (as V8 tells it), so "unhandled" means unhandled by the end of the
// render, as in Node at the end of a tick. The render's own returned promise is the caller's to
// report (ForgetRejection), never counted here.
//
// Texts are made with v8::Exception::CreateMessage, which formats the reason without running JS
// (V8 uses its side-effect-free ToString for messages): describing a rejection cannot loop or
// throw, even after the render was terminated. Owner thread of the isolate only.
#pragma once

#include <string>
#include <vector>

#include <v8.h>

#include "isolates/runtime_state.h"

namespace ssrd::isolates {

// Installs the callback; the isolate's RuntimeState must be attached (AttachRuntimeState).
void WatchPromiseRejections(v8::Isolate* isolate);

// Starts a render with an empty list.
void ClearRejections(RuntimeState* state);

// `promise` is handled by the caller after all (the render's own promise).
void ForgetRejection(v8::Isolate* isolate, RuntimeState* state, v8::Local<v8::Promise> promise);

// The rejections still unhandled, as "Error: text" (one line each, plus "… and N more" when some
// were only counted), and clears the list. Caller holds a HandleScope and is inside a context.
std::vector<std::string> TakeUnhandledRejections(v8::Isolate* isolate, RuntimeState* state);

}  // namespace ssrd::isolates
