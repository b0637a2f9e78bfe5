#include "isolates/module_snapshot.h"

#include <string>

#include "isolates/v8_strings.h"

namespace ssrd::isolates {
namespace {

// [root, path0, index0, path1, index1, …]
v8::Local<v8::Private> ModulesKey(v8::Isolate* isolate) {
  return v8::Private::ForApi(isolate, Literal(isolate, "ssrd.modules"));
}

}  // namespace

ipc::Result<void> RecordModulesForSnapshot(
    v8::Isolate* isolate, v8::Local<v8::Context> context, const ModuleGraph& graph,
    const std::function<std::size_t(v8::Local<v8::Module>)>& add_data) {
  v8::HandleScope scope(isolate);
  v8::Local<v8::Array> record = v8::Array::New(isolate);
  uint32_t n = 0;
  auto push = [&](v8::Local<v8::Value> value) {
    return record->Set(context, n++, value).FromMaybe(false);
  };
  v8::Local<v8::String> text;
  bool ok = NewUtf8(isolate, graph.root()).ToLocal(&text) && push(text);
  for (const auto& [path, module] : graph.Modules(isolate)) {
    if (!ok) break;
    const double index = static_cast<double>(add_data(module));
    ok = NewUtf8(isolate, path).ToLocal(&text) && push(text) &&
         push(v8::Number::New(isolate, index));
  }
  if (!ok || !context->Global()->SetPrivate(context, ModulesKey(isolate), record).FromMaybe(false)) {
    return ipc::MakeError(ipc::ErrorCode::kInternal, "cannot record the bundle's modules");
  }
  return {};
}

void RestoreModulesFromSnapshot(v8::Isolate* isolate, v8::Local<v8::Context> context,
                                ModuleGraph* graph) {
  v8::HandleScope scope(isolate);
  v8::Local<v8::Value> value;
  if (!context->Global()->GetPrivate(context, ModulesKey(isolate)).ToLocal(&value) ||
      !value->IsArray()) {
    return;
  }
  v8::Local<v8::Array> record = value.As<v8::Array>();
  v8::Local<v8::Value> item;
  if (record->Length() == 0 || !record->Get(context, 0).ToLocal(&item) || !item->IsString()) return;
  graph->set_root(ToUtf8(isolate, item));
  for (uint32_t i = 1; i + 1 < record->Length(); i += 2) {
    v8::Local<v8::Value> path;
    v8::Local<v8::Value> index;
    v8::Local<v8::Module> module;
    if (!record->Get(context, i).ToLocal(&path) || !path->IsString() ||
        !record->Get(context, i + 1).ToLocal(&index) || !index->IsNumber()) {
      return;
    }
    const auto at = static_cast<std::size_t>(index.As<v8::Number>()->Value());
    if (context->GetDataFromSnapshotOnce<v8::Module>(at).ToLocal(&module)) {
      graph->Adopt(isolate, ToUtf8(isolate, path), module);
    }
  }
}

}  // namespace ssrd::isolates
