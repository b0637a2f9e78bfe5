#include "isolates/context_helpers.h"

#include <cstdint>

#include "isolates/v8_strings.h"

namespace ssrd::isolates {

v8::Local<v8::Function> ContextHelper(v8::Isolate* isolate, v8::Local<v8::Context> context,
                                      ContextHelperSlot slot, MakeContextHelper make) {
  const int index = static_cast<int>(slot);
  if (context->GetNumberOfEmbedderDataFields() > static_cast<std::uint32_t>(index)) {
    v8::Local<v8::Value> kept = context->GetEmbedderData(index);
    if (kept->IsFunction()) return kept.As<v8::Function>();
  }
  v8::Local<v8::Function> made;
  if (!make(isolate, context).ToLocal(&made)) return {};
  context->SetEmbedderData(index, made);
  return made;
}

v8::MaybeLocal<v8::Function> CompileContextHelper(v8::Isolate* isolate,
                                                  v8::Local<v8::Context> context,
                                                  const char* source, int argc,
                                                  v8::Local<v8::Value>* args) {
  v8::Local<v8::Script> script;
  v8::Local<v8::Value> maker;
  v8::Local<v8::Value> helper;
  if (!v8::Script::Compile(context, Literal(isolate, source)).ToLocal(&script) ||
      !script->Run(context).ToLocal(&maker) || !maker->IsFunction() ||
      !maker.As<v8::Function>()->Call(context, v8::Undefined(isolate), argc, args).ToLocal(&helper) ||
      !helper->IsFunction()) {
    return {};
  }
  return helper.As<v8::Function>();
}

}  // namespace ssrd::isolates
