// One call of the bundle's render function: builds the request object {component, props, url},
// calls render(request), runs the event loop until a returned promise settles, and reads the
// result (a string, or {html, head?, status?}). Timers still pending afterwards are dropped.
// With input.hydration it also fills hydration_json (engine.h says what it holds).
//
// Failure: kJsError/kNotFound (js_errors.h) when render throws or rejects, or a timer callback
// throws; kTimeout "render of C can never finish: its promise is pending with no timer or
// microtask left" when nothing is left to run (no deadline could change it); kJsError for a
// result of the wrong shape or hydration data JSON.stringify refuses ("cannot serialise the
// hydration data: TypeError: ..."); kBadRequest for bad props (msgpack_to_v8.h); kInternal
// "render was terminated" when execution was terminated (the caller, who terminated it, knows
// why and replaces the code). Caller holds a HandleScope and is inside `context`.
#pragma once

#include <v8.h>

#include "ipc/error.h"
#include "isolates/engine.h"
#include "isolates/runtime_state.h"

namespace ssrd::isolates {

ipc::Result<RenderOutput> CallRender(v8::Isolate* isolate, v8::Local<v8::Context> context,
                                     v8::Local<v8::Function> render, const RenderInput& input,
                                     RuntimeState* state);

}  // namespace ssrd::isolates
