// Waits for a value a render produced: a promise is driven to settlement by the event loop
// (event_loop.h), anything else is taken as it is once the microtasks it queued have run. How the
// loop ended becomes the render's error, named after its component. Internal to isolates/; used
// for render's own result and for each read of a stream it returned (render_stream.h).
//
// Failure: the rejection reason (js_errors.h: kJsError, kNotFound), kTimeout "render of C can
// never finish: ..." when nothing is left that could settle the promise, a throwing timer or
// queueMicrotask callback, or kInternal "render was terminated". Caller holds a HandleScope and is
// inside `context`.
#pragma once

#include <string_view>

#include <v8.h>

#include "ipc/error.h"
#include "isolates/runtime_state.h"

namespace ssrd::isolates {

ipc::Result<v8::Local<v8::Value>> AwaitValue(v8::Isolate* isolate, v8::Local<v8::Context> context,
                                             v8::Local<v8::Value> value, RuntimeState* state,
                                             std::string_view component);

// The error of a render whose execution was terminated (the caller knows why and replaces it).
ipc::Error TerminatedError();

}  // namespace ssrd::isolates
