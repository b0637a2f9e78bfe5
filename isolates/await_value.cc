#include "isolates/await_value.h"

#include <string>

#include "isolates/event_loop.h"
#include "isolates/js_errors.h"
#include "isolates/promise_rejections.h"

namespace ssrd::isolates {

ipc::Error TerminatedError() {
  return ipc::MakeError(ipc::ErrorCode::kInternal, "render was terminated");
}

ipc::Result<v8::Local<v8::Value>> AwaitValue(v8::Isolate* isolate, v8::Local<v8::Context> context,
                                             v8::Local<v8::Value> value, RuntimeState* state,
                                             std::string_view component) {
  if (!value->IsPromise()) {
    // Microtasks a synchronous step queued run now, not at the start of the next render.
    isolate->PerformMicrotaskCheckpoint();
    if (isolate->IsExecutionTerminating()) return TerminatedError();
    return value;
  }
  v8::Local<v8::Promise> promise = value.As<v8::Promise>();
  v8::Local<v8::Value> exception;
  LoopStatus status = RunUntilSettled(isolate, context, promise, state, &exception);
  // A rejection of a promise the render handed us is the render's error, not one nobody handled.
  ForgetRejection(isolate, state, promise);
  switch (status) {
    case LoopStatus::kSettled:
      if (promise->State() == v8::Promise::kRejected) {
        return RenderErrorFromException(isolate, promise->Result());
      }
      return promise->Result();
    case LoopStatus::kStuck:
      // Waiting for the deadline would only delay the same answer: nothing can settle it now.
      return ipc::MakeError(ipc::ErrorCode::kTimeout,
                            "render of " + std::string(component) +
                                " can never finish: its promise is pending with no timer or "
                                "microtask left");
    case LoopStatus::kThrew:
      return RenderErrorFromException(isolate, exception);
    case LoopStatus::kTerminated:
      return TerminatedError();
  }
  return TerminatedError();
}

}  // namespace ssrd::isolates
