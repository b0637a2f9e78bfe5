#include "isolates/context_guard.h"

#include "isolates/runtime_globals.h"
#include "isolates/runtime_state.h"
#include "isolates/v8_strings.h"

namespace ssrd::isolates {
namespace {

ipc::Error GuardError(v8::Isolate* isolate, const v8::TryCatch& try_catch) {
  std::string why = try_catch.HasCaught() ? ToUtf8(isolate, try_catch.Exception()) : "no result";
  return ipc::MakeError(ipc::ErrorCode::kInternal, "cannot install the context guard: " + why);
}

// Where a prepared guard waits in a snapshot's context (Prepare).
v8::Local<v8::Private> GuardKey(v8::Isolate* isolate) {
  return v8::Private::ForApi(isolate, Literal(isolate, "ssrd.guard"));
}

// Runs the guard's source: {quick, full, lock}, the state of the builtins recorded.
v8::MaybeLocal<v8::Object> MakeChecks(v8::Isolate* isolate, v8::Local<v8::Context> context) {
  v8::Local<v8::Script> script;
  v8::Local<v8::Value> factory;
  v8::Local<v8::Value> made;
  if (!v8::Script::Compile(context, Literal(isolate, kContextGuardSource)).ToLocal(&script) ||
      !script->Run(context).ToLocal(&factory) || !factory->IsFunction() ||
      !factory.As<v8::Function>()->Call(context, v8::Undefined(isolate), 0, nullptr).ToLocal(&made) ||
      !made->IsObject()) {
    return {};
  }
  return made.As<v8::Object>();
}

// Adopts a prepared record for this context (rebase() in the JS); false when it does not fit.
bool Rebase(v8::Isolate* isolate, v8::Local<v8::Context> context, v8::Local<v8::Object> checks) {
  v8::TryCatch try_catch(isolate);
  v8::Local<v8::Value> rebase;
  v8::Local<v8::Value> fits;
  return checks->Get(context, Literal(isolate, "rebase")).ToLocal(&rebase) &&
         rebase->IsFunction() &&
         rebase.As<v8::Function>()->Call(context, v8::Undefined(isolate), 0, nullptr).ToLocal(&fits) &&
         fits->IsTrue();
}

// How many properties were ever added to a global object of this isolate (runtime_state.h).
std::uint64_t AddedGlobals(v8::Isolate* isolate) {
  const RuntimeState* state = AttachedRuntimeState(isolate);
  return state == nullptr ? 0 : state->globals_added;
}

}  // namespace

ipc::Result<void> ContextGuard::Prepare(v8::Isolate* isolate, v8::Local<v8::Context> context) {
  v8::TryCatch try_catch(isolate);
  v8::Local<v8::Object> checks;
  v8::Local<v8::Value> quick;
  v8::Local<v8::Value> ran;
  // One run of the quick check compiles it, and the snapshot keeps its bytecode: a ~600-line
  // function that a worker would otherwise parse and compile before its first render (~1 ms).
  if (!MakeChecks(isolate, context).ToLocal(&checks) ||
      !checks->Get(context, Literal(isolate, "quick")).ToLocal(&quick) || !quick->IsFunction() ||
      !quick.As<v8::Function>()->Call(context, v8::Undefined(isolate), 0, nullptr).ToLocal(&ran) ||
      !context->Global()->SetPrivate(context, GuardKey(isolate), checks).FromMaybe(false)) {
    return GuardError(isolate, try_catch);
  }
  return {};
}

ipc::Result<void> ContextGuard::Install(v8::Isolate* isolate, v8::Local<v8::Context> context) {
  Reset();
  v8::TryCatch try_catch(isolate);
  // Prepared by the snapshot builder: the state was recorded when the snapshot was made, which is
  // the state this context was made in. Otherwise recorded now (milliseconds: ~1000 descriptors
  // read and a ~600-line function compiled).
  v8::Local<v8::Value> prepared;
  v8::Local<v8::Object> checks;
  if (context->Global()->GetPrivate(context, GuardKey(isolate)).ToLocal(&prepared) &&
      prepared->IsObject() && Rebase(isolate, context, prepared.As<v8::Object>())) {
    checks = prepared.As<v8::Object>();
    adopted_ = true;
  } else if (!MakeChecks(isolate, context).ToLocal(&checks)) {
    return GuardError(isolate, try_catch);
  }
  v8::Local<v8::Value> quick;
  v8::Local<v8::Value> full;
  v8::Local<v8::Value> lock;
  v8::Local<v8::Value> locked;
  if (!checks->Get(context, Literal(isolate, "quick")).ToLocal(&quick) || !quick->IsFunction() ||
      !checks->Get(context, Literal(isolate, "full")).ToLocal(&full) || !full->IsFunction() ||
      !checks->Get(context, Literal(isolate, "lock")).ToLocal(&lock) || !lock->IsFunction() ||
      !lock.As<v8::Function>()->Call(context, v8::Undefined(isolate), 0, nullptr).ToLocal(&locked)) {
    return GuardError(isolate, try_catch);
  }
  quick_.Reset(isolate, quick.As<v8::Function>());
  full_.Reset(isolate, full.As<v8::Function>());
  globals_added_ = AddedGlobals(isolate);
  return {};
}

ContextGuard::Check ContextGuard::QuickCheck(v8::Isolate* isolate,
                                            v8::Local<v8::Context> context) {
  if (quick_.IsEmpty()) return Check::kClean;
  if (AddedGlobals(isolate) != globals_added_) return Check::kGlobalsAdded;
  v8::TryCatch try_catch(isolate);
  v8::Local<v8::Value> clean;
  // A failure to run the check (only a pathological render can cause one) counts as dirty.
  const bool ran_clean = quick_.Get(isolate)
                             ->Call(context, v8::Undefined(isolate), 0, nullptr)
                             .ToLocal(&clean) &&
                         clean->IsTrue();
  return ran_clean ? Check::kClean : Check::kChanged;
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
  // Nothing differs from the record: globals added since were deleted again. Counted from here.
  if (found.empty()) globals_added_ = AddedGlobals(isolate);
  return found;
}

void ContextGuard::Reset() {
  adopted_ = false;
  quick_.Reset();
  full_.Reset();
}

}  // namespace ssrd::isolates
