#include "isolates/context_guard.h"

#include "isolates/v8_strings.h"

namespace ssrd::isolates {
namespace {

ipc::Error GuardError(v8::Isolate* isolate, const v8::TryCatch& try_catch) {
  std::string why = try_catch.HasCaught() ? ToUtf8(isolate, try_catch.Exception()) : "no result";
  return ipc::MakeError(ipc::ErrorCode::kInternal, "cannot install the context guard: " + why);
}

}  // namespace

ipc::Result<void> ContextGuard::Install(v8::Isolate* isolate, v8::Local<v8::Context> context) {
  Reset();
  v8::TryCatch try_catch(isolate);
  v8::Local<v8::Script> script;
  v8::Local<v8::Value> factory;
  v8::Local<v8::Value> made;
  if (!v8::Script::Compile(context, Literal(isolate, kContextGuardSource)).ToLocal(&script) ||
      !script->Run(context).ToLocal(&factory) || !factory->IsFunction() ||
      !factory.As<v8::Function>()->Call(context, v8::Undefined(isolate), 0, nullptr).ToLocal(&made) ||
      !made->IsObject()) {
    return GuardError(isolate, try_catch);
  }
  v8::Local<v8::Object> checks = made.As<v8::Object>();
  v8::Local<v8::Value> quick;
  v8::Local<v8::Value> full;
  if (!checks->Get(context, Literal(isolate, "quick")).ToLocal(&quick) || !quick->IsFunction() ||
      !checks->Get(context, Literal(isolate, "full")).ToLocal(&full) || !full->IsFunction()) {
    return GuardError(isolate, try_catch);
  }
  quick_.Reset(isolate, quick.As<v8::Function>());
  full_.Reset(isolate, full.As<v8::Function>());
  return {};
}

bool ContextGuard::QuickCheck(v8::Isolate* isolate, v8::Local<v8::Context> context) {
  if (quick_.IsEmpty()) return true;
  v8::TryCatch try_catch(isolate);
  v8::Local<v8::Value> clean;
  // A failure to run the check (only a pathological render can cause one) counts as dirty.
  return quick_.Get(isolate)
             ->Call(context, v8::Undefined(isolate), 0, nullptr)
             .ToLocal(&clean) &&
         clean->IsTrue();
}

std::vector<std::string> ContextGuard::FullScan(v8::Isolate* isolate,
                                                v8::Local<v8::Context> context) {
  std::vector<std::string> found;
  if (full_.IsEmpty()) return found;
  v8::TryCatch try_catch(isolate);
  v8::Local<v8::Value> list;
  if (!full_.Get(isolate)->Call(context, v8::Undefined(isolate), 0, nullptr).ToLocal(&list) ||
      !list->IsArray()) {
    found.push_back("the builtins (the guard's scan failed: " +
                    (try_catch.HasCaught() ? ToUtf8(isolate, try_catch.Exception()) : "no result") +
                    ")");
    return found;
  }
  v8::Local<v8::Array> array = list.As<v8::Array>();
  for (std::uint32_t i = 0; i < array->Length(); ++i) {
    v8::Local<v8::Value> item;
    if (array->Get(context, i).ToLocal(&item)) found.push_back(ToUtf8(isolate, item));
  }
  return found;
}

void ContextGuard::Reset() {
  quick_.Reset();
  full_.Reset();
}

}  // namespace ssrd::isolates
