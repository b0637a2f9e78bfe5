#include "isolates/bundle_context.h"

#include "isolates/runtime_globals.h"
#include "isolates/v8_strings.h"

namespace ssrd::isolates {
namespace {

v8::Local<v8::Private> RenderKey(v8::Isolate* isolate) {
  return v8::Private::ForApi(isolate, Literal(isolate, "ssrd.render"));
}

}  // namespace

ipc::Result<v8::Local<v8::Context>> NewBundleContext(v8::Isolate* isolate, RuntimeState* state,
                                                     ModuleGraph* graph,
                                                     const std::string& bundle_path) {
  v8::EscapableHandleScope scope(isolate);
  ipc::Error error;
  v8::Local<v8::Context> context;
  if (!NewRuntimeContext(isolate, state, &error).ToLocal(&context)) return error;
  v8::Context::Scope context_scope(context);
  AttachModuleGraph(isolate, context, graph);
  ipc::Result<v8::Local<v8::Function>> render =
      LoadBundle(isolate, context, bundle_path, graph, state);
  if (!render.ok()) return render.error();
  if (!context->Global()->SetPrivate(context, RenderKey(isolate), render.value()).FromMaybe(false)) {
    return ipc::MakeError(ipc::ErrorCode::kInternal, "cannot keep the render function");
  }
  return scope.Escape(context);
}

ipc::Result<v8::Local<v8::Function>> BindBundleContext(v8::Isolate* isolate,
                                                       v8::Local<v8::Context> context,
                                                       RuntimeState* state) {
  v8::EscapableHandleScope scope(isolate);
  v8::Context::Scope context_scope(context);
  v8::Local<v8::Value> render;
  if (!BindRuntimeContext(isolate, context, state) ||
      !context->Global()->GetPrivate(context, RenderKey(isolate)).ToLocal(&render) ||
      !render->IsFunction()) {
    return ipc::MakeError(ipc::ErrorCode::kInternal,
                          "the context holds no runtime or no render function");
  }
  return scope.Escape(render.As<v8::Function>());
}

}  // namespace ssrd::isolates
