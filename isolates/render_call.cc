#include "isolates/render_call.h"

#include <cmath>
#include <string>
#include <utility>

#include "isolates/await_value.h"
#include "isolates/context_helpers.h"
#include "isolates/event_loop.h"
#include "isolates/js_errors.h"
#include "isolates/msgpack_to_v8.h"
#include "isolates/render_stream.h"
#include "isolates/v8_strings.h"

namespace ssrd::isolates {
namespace {

using ipc::ErrorCode;

// The request object comes from an object literal in JS, made by a function compiled once per
// context: three or four CreateDataProperty calls through the API (each a map transition looked
// up) were 3.5% of a worker's samples under small renders. The same keys in the same order, all
// writable, enumerable and configurable; a nonce only when there is one.
constexpr const char* kRequestFactorySource = R"JS(
(function () {
  'use strict';
  return function (component, props, url, nonce) {
    return nonce === undefined ? { component, props, url } : { component, props, url, nonce };
  };
}))JS";

v8::MaybeLocal<v8::Function> MakeRequestFactory(v8::Isolate* isolate,
                                                v8::Local<v8::Context> context) {
  return CompileContextHelper(isolate, context, kRequestFactorySource, 0, nullptr);
}

// Names read from every render's result, internalized once per isolate: a name made per read
// (Literal) is a new string that V8 then looks up in its string table at every property access.
enum ResultName { kHtml, kHead, kStatus, kData, kResultNameCount };

v8::Local<v8::String> NameOf(v8::Isolate* isolate, RuntimeState* state, ResultName name) {
  if (state->result_names.empty()) {
    constexpr const char* kNames[kResultNameCount] = {"html", "head", "status", "data"};
    for (const char* text : kNames) {
      state->result_names.emplace_back(
          isolate, v8::String::NewFromUtf8(isolate, text, v8::NewStringType::kInternalized)
                       .ToLocalChecked());
    }
  }
  return state->result_names[name].Get(isolate);
}

ipc::Error BadResult(std::string why) {
  return ipc::MakeError(ErrorCode::kJsError,
                        "render must return a string, a stream or {html, head?, status?}: " + why);
}

// JSON.stringify(value) as UTF-8. It may run user code (toJSON, getters): a throw fails the render.
ipc::Result<std::string> Stringify(v8::Isolate* isolate, v8::Local<v8::Context> context,
                                   v8::Local<v8::Value> value) {
  v8::TryCatch try_catch(isolate);
  v8::Local<v8::String> json;
  if (!v8::JSON::Stringify(context, value).ToLocal(&json)) {
    if (try_catch.HasTerminated() || isolate->IsExecutionTerminating()) return TerminatedError();
    ipc::Error error = RenderErrorFromException(isolate, try_catch.Exception());
    error.message = "cannot serialise the hydration data: " + error.message;
    return error;
  }
  return ToUtf8(isolate, json);
}

// {"component":..,"props":..}, taken before render runs so that the page is hydrated with the
// props it was rendered from, whatever render does to the object afterwards.
ipc::Result<std::string> HydrationHead(v8::Isolate* isolate, v8::Local<v8::Context> context,
                                       v8::Local<v8::String> component,
                                       v8::Local<v8::Value> props) {
  v8::Local<v8::Object> shown = v8::Object::New(isolate);
  if (!shown->CreateDataProperty(context, Literal(isolate, "component"), component)
           .FromMaybe(false) ||
      !shown->CreateDataProperty(context, Literal(isolate, "props"), props).FromMaybe(false)) {
    return ipc::MakeError(ErrorCode::kInternal, "cannot build the hydration object");
  }
  return Stringify(isolate, context, shown);
}

// Appends "data":X to the object text *json. Stringifying {data: X} rather than X lets V8 decide,
// as for any member, that X is left out (undefined, a function, a symbol): the text is then "{}".
ipc::Result<void> AddHydrationData(v8::Isolate* isolate, v8::Local<v8::Context> context,
                                   v8::Local<v8::Value> data, std::string* json) {
  if (data->IsUndefined()) return {};
  v8::Local<v8::Object> wrapper = v8::Object::New(isolate);
  if (!wrapper->CreateDataProperty(context, Literal(isolate, "data"), data).FromMaybe(false)) {
    return ipc::MakeError(ErrorCode::kInternal, "cannot build the hydration object");
  }
  ipc::Result<std::string> member = Stringify(isolate, context, wrapper);
  if (!member.ok()) return member.error();
  if (member.value() == "{}") return {};
  // Only a bundle that patched Object.prototype.toJSON gets here with something else.
  if (json->size() < 2 || json->front() != '{' || json->back() != '}' ||
      member->size() < 2 || member->front() != '{' || member->back() != '}') {
    return ipc::MakeError(ErrorCode::kJsError,
                          "cannot serialise the hydration data: it is not a JSON object");
  }
  json->pop_back();
  if (json->size() > 1) *json += ',';
  json->append(*member, 1, std::string::npos);
  return {};
}

// Builds the request object; when hydration is asked for, *hydration_json receives
// HydrationHead's text.
ipc::Result<v8::Local<v8::Object>> NewRequest(v8::Isolate* isolate, v8::Local<v8::Context> context,
                                              const RenderInput& input,
                                              std::string* hydration_json) {
  ipc::Result<v8::Local<v8::Value>> props = MsgpackToV8(isolate, context, input.props_msgpack);
  if (!props.ok()) return props.error();
  v8::Local<v8::String> component, url;
  if (!NewUtf8(isolate, input.component).ToLocal(&component) ||
      !NewUtf8(isolate, input.url).ToLocal(&url)) {
    return ipc::MakeError(ErrorCode::kBadRequest, "component or url too long");
  }
  // Only when there is one, so that a request without a nonce has the three keys it always had.
  v8::Local<v8::Value> args[] = {component, props.value(), url, v8::Undefined(isolate)};
  if (!input.nonce.empty()) {
    v8::Local<v8::String> nonce;
    if (!NewUtf8(isolate, input.nonce).ToLocal(&nonce)) {
      return ipc::MakeError(ErrorCode::kBadRequest, "nonce too long");
    }
    args[3] = nonce;
  }
  v8::TryCatch try_catch(isolate);
  v8::Local<v8::Function> factory =
      ContextHelper(isolate, context, ContextHelperSlot::kRequestFactory, MakeRequestFactory);
  v8::Local<v8::Value> made;
  if (factory.IsEmpty() ||
      !factory->Call(context, v8::Undefined(isolate), 4, args).ToLocal(&made) ||
      !made->IsObject()) {
    // The first JS this render runs: an interrupt raised before it (a deadline) stops it here.
    if (try_catch.HasTerminated() || isolate->IsExecutionTerminating()) return TerminatedError();
    return ipc::MakeError(ErrorCode::kInternal, "cannot build the request object");
  }
  v8::Local<v8::Object> request = made.As<v8::Object>();
  if (input.hydration) {
    ipc::Result<std::string> head = HydrationHead(isolate, context, component, props.value());
    if (!head.ok()) return head.error();
    *hydration_json = std::move(head.value());
  }
  return request;
}

// Reads {html, head?, status?, data?}, a string, or a stream (as the result or as its html).
// Getters on the result may run user code: a throw there is a render error like any other. A
// stream is read to its end before head, status and data are read, so that a renderer may set
// them while it streams. `hydration_json` is null unless hydration was asked for; it then holds
// HydrationHead's text, which becomes output.hydration_json with data.
ipc::Result<RenderOutput> ReadOutput(v8::Isolate* isolate, v8::Local<v8::Context> context,
                                     v8::Local<v8::Value> value, RuntimeState* state,
                                     const RenderInput& input, std::string* hydration_json,
                                     EarlyRead* early) {
  RenderOutput output;
  if (value->IsString()) {
    output.html = ToUtf8(isolate, value);
    if (hydration_json != nullptr) output.hydration_json = std::move(*hydration_json);
    return output;
  }
  if (!value->IsObject()) {
    return BadResult("got " + ToUtf8(isolate, value->TypeOf(isolate)));
  }
  v8::Local<v8::Object> object = value.As<v8::Object>();
  v8::TryCatch try_catch(isolate);
  auto thrown = [&]() -> ipc::Error {
    if (try_catch.HasTerminated() || isolate->IsExecutionTerminating()) return TerminatedError();
    return RenderErrorFromException(isolate, try_catch.Exception());
  };
  v8::Local<v8::Value> html, head, status;
  v8::Local<v8::Value> data = v8::Undefined(isolate);
  if (!object->Get(context, NameOf(isolate, state, kHtml)).ToLocal(&html)) return thrown();
  if (html->IsString()) {
    output.html = ToUtf8(isolate, html);
  } else {
    // The stream is `html`, or the result itself (which then has no head, status or data).
    v8::Local<v8::Value> stream = html;
    if (html->IsUndefined() && IsRenderStream(isolate, context, object)) stream = object;
    if (!IsRenderStream(isolate, context, stream)) {
      return BadResult("html is " + ToUtf8(isolate, html->TypeOf(isolate)));
    }
    ipc::Result<std::string> streamed =
        DrainRenderStream(isolate, context, stream, state, input.component, input.stream, early);
    if (!streamed.ok()) return streamed.error();
    output.html = std::move(streamed.value());
    if (stream == object) {
      if (hydration_json != nullptr) output.hydration_json = std::move(*hydration_json);
      return output;
    }
  }
  if (!object->Get(context, NameOf(isolate, state, kHead)).ToLocal(&head) ||
      !object->Get(context, NameOf(isolate, state, kStatus)).ToLocal(&status) ||
      (hydration_json != nullptr &&
       !object->Get(context, NameOf(isolate, state, kData)).ToLocal(&data))) {
    return thrown();
  }
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
  if (hydration_json != nullptr) {
    ipc::Result<void> added = AddHydrationData(isolate, context, data, hydration_json);
    if (!added.ok()) return added.error();
    output.hydration_json = std::move(*hydration_json);
  }
  return output;
}

}  // namespace

ipc::Result<RenderOutput> CallRender(v8::Isolate* isolate, v8::Local<v8::Context> context,
                                     v8::Local<v8::Function> render, const RenderInput& input,
                                     RuntimeState* state) {
  std::string hydration_json;
  ipc::Result<v8::Local<v8::Object>> request = NewRequest(isolate, context, input, &hydration_json);
  if (!request.ok()) return request.error();
  std::string* hydration = input.hydration ? &hydration_json : nullptr;

  EarlyRead early;
  ipc::Result<RenderOutput> result = [&]() -> ipc::Result<RenderOutput> {
    v8::TryCatch try_catch(isolate);
    v8::Local<v8::Value> args[] = {request.value()};
    v8::Local<v8::Value> returned;
    if (!render->Call(context, v8::Undefined(isolate), 1, args).ToLocal(&returned)) {
      if (try_catch.HasTerminated() || isolate->IsExecutionTerminating()) return TerminatedError();
      return RenderErrorFromException(isolate, try_catch.Exception());
    }
    early.Watch(isolate, context, returned);
    ipc::Result<v8::Local<v8::Value>> settled =
        AwaitValue(isolate, context, returned, state, input.component);
    if (!settled.ok()) return settled.error();
    return ReadOutput(isolate, context, settled.value(), state, input, hydration, &early);
  }();
  if (!isolate->IsExecutionTerminating()) early.Abandon(isolate, context);
  if (!isolate->IsExecutionTerminating()) DropPendingTimers(isolate, context, state);
  return result;
}

}  // namespace ssrd::isolates
