#include "isolates/runtime_globals.h"

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <string>

#include "isolates/dynamic_import.h"
#include "isolates/v8_strings.h"
#include "isolates/web_natives.h"

namespace ssrd::isolates {
namespace {

// Every binding finds the RuntimeState in an isolate data slot, not in a v8::External: a
// pointer held in the heap would be baked into a startup snapshot and be wrong in every process
// that loads it. Bindings are only reachable from the prelude, which checks argument types, but
// they re-check: a wrong type throws a TypeError instead of crashing.
constexpr std::uint32_t kRuntimeStateSlot = 0;

RuntimeState* StateOf(const v8::FunctionCallbackInfo<v8::Value>& info) {
  return static_cast<RuntimeState*>(info.GetIsolate()->GetData(kRuntimeStateSlot));
}

void ThrowTypeError(v8::Isolate* isolate, std::string_view message) {
  isolate->ThrowException(v8::Exception::TypeError(Literal(isolate, message)));
}

void ConsoleWrite(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  StateOf(info)->console.Add(ToUtf8(isolate, info[0]), ToUtf8(isolate, info[1]));
}

std::uint64_t TimerId(v8::Local<v8::Value> value) {
  return value->IsNumber() ? static_cast<std::uint64_t>(value.As<v8::Number>()->Value()) : 0;
}

void ScheduleTimer(const v8::FunctionCallbackInfo<v8::Value>& info) {
  RuntimeState* state = StateOf(info);
  double delay = info[1]->IsNumber() ? info[1].As<v8::Number>()->Value() : 0;
  state->timers.Schedule(TimerId(info[0]), delay, TimerQueue::Clock::now());
}

void CancelTimer(const v8::FunctionCallbackInfo<v8::Value>& info) {
  StateOf(info)->timers.Cancel(TimerId(info[0]));
}

void Now(const v8::FunctionCallbackInfo<v8::Value>& info) {
  auto elapsed = TimerQueue::Clock::now() - StateOf(info)->time_origin;
  info.GetReturnValue().Set(std::chrono::duration<double, std::milli>(elapsed).count());
}

// The global object's interceptor (non-masking: V8 calls it only for a name the global object
// and its prototypes do not have): counts properties added to the global object, so that the
// context guard sees an added global without enumerating ~1000 of them after every render.
void NoteAddedGlobal(v8::Local<v8::Name>, v8::Local<v8::Value>,
                     const v8::PropertyCallbackInfo<v8::Value>& info) {
  AttachedRuntimeState(info.GetIsolate())->globals_added++;
}

void NoteDefinedGlobal(v8::Local<v8::Name>, const v8::PropertyDescriptor&,
                       const v8::PropertyCallbackInfo<v8::Value>& info) {
  AttachedRuntimeState(info.GetIsolate())->globals_added++;
}

void ReportUncaught(const v8::FunctionCallbackInfo<v8::Value>& info) {
  RuntimeState* state = StateOf(info);
  if (state->uncaught.IsEmpty()) state->uncaught.Reset(info.GetIsolate(), info[0]);
}

constexpr int kUtf8WriteFlags =
    v8::String::NO_NULL_TERMINATION | v8::String::REPLACE_INVALID_UTF8;

void Utf8Encode(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  if (!info[0]->IsString()) return ThrowTypeError(isolate, "utf8Encode expects a string");
  v8::Local<v8::String> string = info[0].As<v8::String>();
  int length = string->Utf8Length(isolate);
  v8::Local<v8::ArrayBuffer> buffer = v8::ArrayBuffer::New(isolate, static_cast<size_t>(length));
  string->WriteUtf8(isolate, static_cast<char*>(buffer->GetBackingStore()->Data()), length,
                    nullptr, kUtf8WriteFlags);
  info.GetReturnValue().Set(v8::Uint8Array::New(buffer, 0, static_cast<size_t>(length)));
}

void Utf8EncodeInto(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  if (!info[0]->IsString() || !info[1]->IsUint8Array()) {
    return ThrowTypeError(isolate, "utf8EncodeInto expects a string and a Uint8Array");
  }
  v8::Local<v8::String> string = info[0].As<v8::String>();
  v8::Local<v8::Uint8Array> dest = info[1].As<v8::Uint8Array>();
  char* data = static_cast<char*>(dest->Buffer()->GetBackingStore()->Data());
  int read = 0;
  int written = 0;
  if (data != nullptr && dest->ByteLength() > 0) {
    // WriteUtf8 never splits a character: it stops before one that does not fit, and reports
    // the UTF-16 code units consumed, which is what encodeInto's `read` counts.
    written = string->WriteUtf8(isolate, data + dest->ByteOffset(),
                                static_cast<int>(dest->ByteLength()), &read, kUtf8WriteFlags);
  }
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  v8::Local<v8::Object> result = v8::Object::New(isolate);
  if (result->CreateDataProperty(context, Literal(isolate, "read"), v8::Integer::New(isolate, read))
          .IsNothing() ||
      result
          ->CreateDataProperty(context, Literal(isolate, "written"),
                               v8::Integer::New(isolate, written))
          .IsNothing()) {
    return;
  }
  info.GetReturnValue().Set(result);
}

// True when bytes are well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF).
bool IsValidUtf8(const unsigned char* s, std::size_t n) {
  std::size_t i = 0;
  while (i < n) {
    unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return false;
    }
    if (i + len > n) return false;
    if (s[i + 1] < lo || s[i + 1] > hi) return false;
    for (std::size_t k = 2; k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return false;
    }
    i += len;
  }
  return true;
}

void Utf8Decode(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  if (!info[0]->IsUint8Array()) return ThrowTypeError(isolate, "utf8Decode expects a Uint8Array");
  v8::Local<v8::Uint8Array> view = info[0].As<v8::Uint8Array>();
  const char* data = static_cast<const char*>(view->Buffer()->GetBackingStore()->Data());
  std::string_view bytes;
  if (data != nullptr) bytes = std::string_view(data + view->ByteOffset(), view->ByteLength());
  if (info[1]->IsTrue() &&
      !IsValidUtf8(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size())) {
    return ThrowTypeError(isolate, "The encoded data was not valid for encoding utf-8");
  }
  v8::Local<v8::String> string;
  if (!NewUtf8(isolate, bytes).ToLocal(&string)) {
    isolate->ThrowException(v8::Exception::RangeError(Literal(isolate, "string too long")));
    return;
  }
  info.GetReturnValue().Set(string);
}

// AsyncLocalStorage's current frame (runtime_prelude.cc): V8 carries this value into every
// promise reaction created while it is set.
void GetAsyncFrame(const v8::FunctionCallbackInfo<v8::Value>& info) {
  info.GetReturnValue().Set(
      info.GetIsolate()->GetCurrentContext()->GetContinuationPreservedEmbedderData());
}

void SetAsyncFrame(const v8::FunctionCallbackInfo<v8::Value>& info) {
  info.GetIsolate()->GetCurrentContext()->SetContinuationPreservedEmbedderData(info[0]);
}

struct Binding {
  std::string_view name;
  v8::FunctionCallback callback;
};
constexpr Binding kBindings[] = {
    {"consoleWrite", ConsoleWrite},     {"scheduleTimer", ScheduleTimer},
    {"cancelTimer", CancelTimer},       {"now", Now},
    {"reportUncaught", ReportUncaught}, {"utf8Encode", Utf8Encode},
    {"utf8EncodeInto", Utf8EncodeInto}, {"utf8Decode", Utf8Decode},
    {"getAsyncFrame", GetAsyncFrame},   {"setAsyncFrame", SetAsyncFrame},
    {"randomFill", RandomFill},         {"structuredClone", StructuredClone},
};

bool SetFunction(v8::Isolate* isolate, v8::Local<v8::Context> context, v8::Local<v8::Object> target,
                 std::string_view name, v8::FunctionCallback callback) {
  v8::Local<v8::Function> function;
  return v8::Function::New(context, callback, {}, 0, v8::ConstructorBehavior::kThrow)
             .ToLocal(&function) &&
         target->CreateDataProperty(context, Literal(isolate, name), function).FromMaybe(false);
}

v8::MaybeLocal<v8::Object> NewBindings(v8::Isolate* isolate, v8::Local<v8::Context> context,
                                       RuntimeState* state) {
  v8::Local<v8::Object> bindings = v8::Object::New(isolate);
  for (const Binding& b : kBindings) {
    if (!SetFunction(isolate, context, bindings, b.name, b.callback)) return {};
  }
  v8::Local<v8::String> node_env;
  if (!NewUtf8(isolate, state->node_env).ToLocal(&node_env) ||
      !bindings->CreateDataProperty(context, Literal(isolate, "nodeEnv"), node_env)
           .FromMaybe(false)) {
    return {};
  }
  return bindings;
}

// The prelude's hooks are kept on the global object under private keys, which JS cannot name,
// so that they travel with the context into a snapshot and are found again in each context made
// from it.
v8::Local<v8::Private> HookKey(v8::Isolate* isolate, std::string_view name) {
  return v8::Private::ForApi(isolate, Literal(isolate, "ssrd." + std::string(name)));
}

bool StashHook(v8::Isolate* isolate, v8::Local<v8::Context> context, v8::Local<v8::Object> hooks,
               std::string_view name) {
  v8::Local<v8::Value> value;
  return hooks->Get(context, Literal(isolate, name)).ToLocal(&value) && value->IsFunction() &&
         context->Global()->SetPrivate(context, HookKey(isolate, name), value).FromMaybe(false);
}

bool LoadHook(v8::Isolate* isolate, v8::Local<v8::Context> context, std::string_view name,
              v8::Global<v8::Function>* out) {
  v8::Local<v8::Value> value;
  if (!context->Global()->GetPrivate(context, HookKey(isolate, name)).ToLocal(&value) ||
      !value->IsFunction()) {
    return false;
  }
  out->Reset(isolate, value.As<v8::Function>());
  return true;
}

// Compiles and runs one of the runtime's own scripts; empty when it threw (a bug: see the caller).
v8::MaybeLocal<v8::Value> RunScript(v8::Isolate* isolate, v8::Local<v8::Context> context,
                                    std::string_view source, std::string_view name) {
  v8::ScriptOrigin origin(isolate, Literal(isolate, name));
  v8::Local<v8::String> text;
  v8::Local<v8::Script> script;
  if (!NewUtf8(isolate, source).ToLocal(&text) ||
      !v8::Script::Compile(context, text, &origin).ToLocal(&script)) {
    return {};
  }
  return script->Run(context);
}

}  // namespace

void AttachRuntimeState(v8::Isolate* isolate, RuntimeState* state) {
  isolate->SetData(kRuntimeStateSlot, state);
}

RuntimeState* AttachedRuntimeState(v8::Isolate* isolate) {
  return static_cast<RuntimeState*>(isolate->GetData(kRuntimeStateSlot));
}

const std::intptr_t* RuntimeExternalReferences() {
  static const auto* references = [] {
    const std::intptr_t* import_references = DynamicImportExternalReferences();
    std::size_t imports = 0;
    while (import_references[imports] != 0) ++imports;
    auto* list = new std::intptr_t[std::size(kBindings) + imports + 3];
    std::size_t i = 0;
    for (const Binding& b : kBindings) list[i++] = reinterpret_cast<std::intptr_t>(b.callback);
    list[i++] = reinterpret_cast<std::intptr_t>(NoteAddedGlobal);
    list[i++] = reinterpret_cast<std::intptr_t>(NoteDefinedGlobal);
    for (std::size_t k = 0; k < imports; ++k) list[i++] = import_references[k];
    list[i] = 0;
    return list;
  }();
  return references;
}

bool BindRuntimeContext(v8::Isolate* isolate, v8::Local<v8::Context> context,
                        RuntimeState* state) {
  return LoadHook(isolate, context, "fireTimer", &state->fire_timer) &&
         LoadHook(isolate, context, "clearTimers", &state->clear_timers);
}

v8::MaybeLocal<v8::Context> NewRuntimeContext(v8::Isolate* isolate, RuntimeState* state,
                                              ipc::Error* error) {
  v8::EscapableHandleScope scope(isolate);
  v8::Local<v8::ObjectTemplate> global = v8::ObjectTemplate::New(isolate);
  global->SetHandler(v8::NamedPropertyHandlerConfiguration(
      nullptr, NoteAddedGlobal, nullptr, nullptr, nullptr, NoteDefinedGlobal, nullptr, {},
      v8::PropertyHandlerFlags::kNonMasking));
  v8::Local<v8::Context> context = v8::Context::New(isolate, nullptr, global);
  v8::Context::Scope context_scope(context);
  v8::TryCatch try_catch(isolate);

  v8::Local<v8::Value> factory;
  v8::Local<v8::Value> install_web;
  v8::Local<v8::Object> bindings;
  v8::Local<v8::Value> hooks;
  v8::Local<v8::Value> args[2];
  bool ok = RunScript(isolate, context, RuntimePreludeSource(), "ssrd:runtime").ToLocal(&factory) &&
            factory->IsFunction() &&
            RunScript(isolate, context, WebRuntimeSource(), "ssrd:web").ToLocal(&install_web) &&
            install_web->IsFunction() && NewBindings(isolate, context, state).ToLocal(&bindings);
  if (ok) {
    args[0] = bindings;
    args[1] = install_web;
    ok = factory.As<v8::Function>()->Call(context, v8::Undefined(isolate), 2, args).ToLocal(&hooks) &&
         hooks->IsObject() && StashHook(isolate, context, hooks.As<v8::Object>(), "fireTimer") &&
         StashHook(isolate, context, hooks.As<v8::Object>(), "clearTimers") &&
         BindRuntimeContext(isolate, context, state);
  }
  if (!ok) {
    *error = ipc::MakeError(ipc::ErrorCode::kInternal,
                            "runtime prelude failed: " +
                                (try_catch.HasCaught() ? ToUtf8(isolate, try_catch.Exception())
                                                       : std::string("no hooks returned")));
    return {};
  }
  return scope.Escape(context);
}

}  // namespace ssrd::isolates
