// Functions the render path calls on every render, made once per context and kept in the
// context's embedder data, so that a render pays a call instead of making a function or an object
// property by property through the API (render_stream.cc, render_call.cc). Internal to isolates/.
#pragma once

#include <v8.h>

namespace ssrd::isolates {

// Embedder data slots of a context; module_loader.cc keeps the module graph in slot 2.
enum class ContextHelperSlot : int {
  kEarlyReadStepFactory = 3,
  kEarlyReadIgnoreRejection = 4,
  kRequestFactory = 5,
};

using MakeContextHelper = v8::MaybeLocal<v8::Function> (*)(v8::Isolate* isolate,
                                                           v8::Local<v8::Context> context);

// The function kept in `slot` of `context`, made by `make` the first time. Empty when `make`
// fails (it then runs again at the next call). Caller holds a HandleScope and a TryCatch: the
// first call runs JS, which a pending termination (a deadline) stops like any other.
v8::Local<v8::Function> ContextHelper(v8::Isolate* isolate, v8::Local<v8::Context> context,
                                      ContextHelperSlot slot, MakeContextHelper make);

// Runs `source`, a script whose value is a function, and calls that function with `args`; the
// result, when it is a function. For helpers written in JS: a closure over what `args` pass in
// reads nothing a render can replace.
v8::MaybeLocal<v8::Function> CompileContextHelper(v8::Isolate* isolate,
                                                  v8::Local<v8::Context> context,
                                                  const char* source, int argc,
                                                  v8::Local<v8::Value>* args);

}  // namespace ssrd::isolates
