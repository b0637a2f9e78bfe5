#include "isolates/dynamic_import.h"

#include <dlfcn.h>

#include <cstddef>
#include <string>

#include "ipc/error.h"
#include "isolates/module_loader.h"
#include "isolates/v8_strings.h"

namespace ssrd::isolates {
namespace {

// Fulfils the evaluation promise's reaction with the namespace held as the function's data.
void ReturnData(const v8::FunctionCallbackInfo<v8::Value>& info) {
  info.GetReturnValue().Set(info.Data());
}

v8::MaybeLocal<v8::Promise> Rejected(v8::Local<v8::Context> context, v8::Local<v8::Value> reason) {
  v8::Local<v8::Promise::Resolver> resolver;
  if (!v8::Promise::Resolver::New(context).ToLocal(&resolver) ||
      resolver->Reject(context, reason).IsNothing()) {
    return {};
  }
  return resolver->GetPromise();
}

}  // namespace

v8::MaybeLocal<v8::Promise> ImportModuleDynamically(v8::Local<v8::Context> context,
                                                    v8::Local<v8::Data> /*host_defined_options*/,
                                                    v8::Local<v8::Value> resource_name,
                                                    v8::Local<v8::String> specifier,
                                                    v8::Local<v8::FixedArray> /*import_assertions*/) {
  v8::Isolate* isolate = context->GetIsolate();
  v8::EscapableHandleScope scope(isolate);
  v8::TryCatch try_catch(isolate);
  // V8 asks for an empty result only with an exception pending: pass on what was caught.
  auto fail = [&try_catch]() {
    if (try_catch.HasCaught() || try_catch.HasTerminated()) try_catch.ReThrow();
    return v8::MaybeLocal<v8::Promise>();
  };
  const std::string name = ToUtf8(isolate, specifier);
  const std::string referrer = resource_name->IsString() ? ToUtf8(isolate, resource_name) : "";
  ModuleGraph* graph = AttachedModuleGraph(context);
  ipc::Result<v8::Local<v8::Module>> loaded =
      graph != nullptr ? graph->LoadDynamic(isolate, context, referrer, name)
                       : ipc::Result<v8::Local<v8::Module>>(ipc::MakeError(
                             ipc::ErrorCode::kBundleError,
                             "cannot import '" + name + "': this context has no module graph"));
  if (try_catch.HasTerminated()) return fail();
  if (!loaded.ok()) {
    v8::Local<v8::String> message;
    if (!NewUtf8(isolate, loaded.error().message).ToLocal(&message)) return fail();
    v8::Local<v8::Promise> promise;
    if (!Rejected(context, v8::Exception::Error(message)).ToLocal(&promise)) return fail();
    return scope.Escape(promise);
  }
  v8::Local<v8::Module> module = loaded.value();
  v8::Local<v8::Value> completion;
  if (!module->Evaluate(context).ToLocal(&completion)) {
    if (try_catch.HasTerminated() || !try_catch.HasCaught()) return fail();
    v8::Local<v8::Value> exception = try_catch.Exception();
    try_catch.Reset();
    v8::Local<v8::Promise> promise;
    if (!Rejected(context, exception).ToLocal(&promise)) return fail();
    return scope.Escape(promise);
  }
  // With top-level await, Evaluate returns a promise of the evaluation (the same one again for a
  // module already evaluated, so a second import() gets the same instance); import() resolves
  // to the namespace once it is fulfilled, and rejects with its reason.
  v8::Local<v8::Value> ns = module->GetModuleNamespace();
  v8::Local<v8::Function> fulfilled;
  v8::Local<v8::Promise> result;
  if (completion->IsPromise()) {
    if (!v8::Function::New(context, ReturnData, ns, 1, v8::ConstructorBehavior::kThrow)
             .ToLocal(&fulfilled) ||
        !completion.As<v8::Promise>()->Then(context, fulfilled).ToLocal(&result)) {
      return fail();
    }
    return scope.Escape(result);
  }
  v8::Local<v8::Promise::Resolver> resolver;
  if (!v8::Promise::Resolver::New(context).ToLocal(&resolver) ||
      resolver->Resolve(context, ns).IsNothing()) {
    return fail();
  }
  return scope.Escape(resolver->GetPromise());
}

const std::intptr_t* DynamicImportExternalReferences() {
  // A module namespace made while the bundle loads (an import() under top-level await) is part
  // of the snapshot, and V8 10.2 does not list the accessors of its exports among its own external
  // references: it aborts with "Unknown external reference". Debian's libnode exports both
  // functions, so they are looked up and listed here; where they are not found, such a bundle
  // cannot be snapshotted and the supervisor loads it in each worker instead (architecture.md).
  static const auto* references = [] {
    auto* list = new std::intptr_t[4]{reinterpret_cast<std::intptr_t>(ReturnData), 0, 0, 0};
    std::size_t n = 1;
    for (const char* symbol :
         {"_ZN2v88internal9Accessors26ModuleNamespaceEntryGetterENS_5LocalINS_4NameEEERKNS_"
          "20PropertyCallbackInfoINS_5ValueEEE",
          "_ZN2v88internal9Accessors26ModuleNamespaceEntrySetterENS_5LocalINS_4NameEEENS2_INS_"
          "5ValueEEERKNS_20PropertyCallbackInfoINS_7BooleanEEE"}) {
      if (void* address = dlsym(RTLD_DEFAULT, symbol)) {
        list[n++] = reinterpret_cast<std::intptr_t>(address);
      }
    }
    return list;
  }();
  return references;
}

}  // namespace ssrd::isolates
