#include "isolates/render_call.h"

#include <cmath>

#include "isolates/event_loop.h"
#include "isolates/js_errors.h"
#include "isolates/msgpack_to_v8.h"
#include "isolates/v8_strings.h"

namespace ssrd::isolates {
namespace {

using ipc::ErrorCode;

ipc::Error Terminated() { return ipc::MakeError(ErrorCode::kInternal, "render was terminated"); }

ipc::Error BadResult(std::string why) {
  return ipc::MakeError(ErrorCode::kJsError,
                        "render must return a string or {html, head?, status?}: " + why);
}

ipc::Result<v8::Local<v8::Object>> NewRequest(v8::Isolate* isolate, v8::Local<v8::Context> context,
                                              const RenderInput& input) {
  ipc::Result<v8::Local<v8::Value>> props = MsgpackToV8(isolate, context, input.props_msgpack);
  if (!props.ok()) return props.error();
  v8::Local<v8::String> component, url;
  if (!NewUtf8(isolate, input.component).ToLocal(&component) ||
      !NewUtf8(isolate, input.url).ToLocal(&url)) {
    return ipc::MakeError(ErrorCode::kBadRequest, "component or url too long");
  }
  v8::Local<v8::Object> request = v8::Object::New(isolate);
  if (!request->CreateDataProperty(context, Literal(isolate, "component"), component)
           .FromMaybe(false) ||
      !request->CreateDataProperty(context, Literal(isolate, "props"), props.value())
           .FromMaybe(false) ||
      !request->CreateDataProperty(context, Literal(isolate, "url"), url).FromMaybe(false)) {
    return ipc::MakeError(ErrorCode::kInternal, "cannot build the request object");
  }
  return request;
}

// Reads {html, head?, status?} or a string. Getters on the result may run user code: a throw
// there is a render error like any other.
ipc::Result<RenderOutput> ReadOutput(v8::Isolate* isolate, v8::Local<v8::Context> context,
                                     v8::Local<v8::Value> value) {
  RenderOutput output;
  if (value->IsString()) {
    output.html = ToUtf8(isolate, value);
    return output;
  }
  if (!value->IsObject()) {
    return BadResult("got " + ToUtf8(isolate, value->TypeOf(isolate)));
  }
  v8::Local<v8::Object> object = value.As<v8::Object>();
  v8::TryCatch try_catch(isolate);
  v8::Local<v8::Value> html, head, status;
  if (!object->Get(context, Literal(isolate, "html")).ToLocal(&html) ||
      !object->Get(context, Literal(isolate, "head")).ToLocal(&head) ||
      !object->Get(context, Literal(isolate, "status")).ToLocal(&status)) {
    if (try_catch.HasTerminated()) return Terminated();
    return RenderErrorFromException(isolate, try_catch.Exception());
  }
  if (!html->IsString()) return BadResult("html is " + ToUtf8(isolate, html->TypeOf(isolate)));
  output.html = ToUtf8(isolate, html);
  if (!head->IsNullOrUndefined()) {
    if (!head->IsString()) return BadResult("head is " + ToUtf8(isolate, head->TypeOf(isolate)));
    output.head = ToUtf8(isolate, head);
  }
  if (!status->IsNullOrUndefined()) {
    double code = status->IsNumber() ? status.As<v8::Number>()->Value() : NAN;
    if (!(code >= 100 && code <= 999) || code != std::floor(code)) {
      return BadResult("status must be an integer from 100 to 999");
    }
    output.status = static_cast<std::uint32_t>(code);
  }
  return output;
}

ipc::Result<RenderOutput> Settle(v8::Isolate* isolate, v8::Local<v8::Context> context,
                                 v8::Local<v8::Value> returned, RuntimeState* state) {
  if (!returned->IsPromise()) {
    // Microtasks a synchronous render queued run now, not at the start of the next render.
    isolate->PerformMicrotaskCheckpoint();
    if (isolate->IsExecutionTerminating()) return Terminated();
    return ReadOutput(isolate, context, returned);
  }
  v8::Local<v8::Promise> promise = returned.As<v8::Promise>();
  v8::Local<v8::Value> exception;
  switch (RunUntilSettled(isolate, context, promise, state, &exception)) {
    case LoopStatus::kSettled:
      if (promise->State() == v8::Promise::kRejected) {
        return RenderErrorFromException(isolate, promise->Result());
      }
      return ReadOutput(isolate, context, promise->Result());
    case LoopStatus::kStuck:
      return ipc::MakeError(ErrorCode::kJsError, "render promise never settled");
    case LoopStatus::kThrew:
      return RenderErrorFromException(isolate, exception);
    case LoopStatus::kTerminated:
      return Terminated();
  }
  return Terminated();
}

}  // namespace

ipc::Result<RenderOutput> CallRender(v8::Isolate* isolate, v8::Local<v8::Context> context,
                                     v8::Local<v8::Function> render, const RenderInput& input,
                                     RuntimeState* state) {
  ipc::Result<v8::Local<v8::Object>> request = NewRequest(isolate, context, input);
  if (!request.ok()) return request.error();

  ipc::Result<RenderOutput> result = [&]() -> ipc::Result<RenderOutput> {
    v8::TryCatch try_catch(isolate);
    v8::Local<v8::Value> args[] = {request.value()};
    v8::Local<v8::Value> returned;
    if (!render->Call(context, v8::Undefined(isolate), 1, args).ToLocal(&returned)) {
      if (try_catch.HasTerminated() || isolate->IsExecutionTerminating()) return Terminated();
      return RenderErrorFromException(isolate, try_catch.Exception());
    }
    return Settle(isolate, context, returned, state);
  }();
  if (!isolate->IsExecutionTerminating()) DropPendingTimers(isolate, context, state);
  return result;
}

}  // namespace ssrd::isolates
