#include "snapshots/snapshot_builder.h"

#include "snapshots/snapshot_file.h"

#include <v8.h>

#include "isolates/bundle_context.h"
#include "isolates/context_guard.h"
#include "isolates/module_loader.h"
#include "isolates/module_snapshot.h"
#include "isolates/runtime_globals.h"
#include "isolates/runtime_state.h"
#include "isolates/v8_process.h"

namespace ssrd::snapshots {

ipc::Result<std::string> BuildSnapshotBlob(const isolates::EngineOptions& options,
                                           const std::function<void()>& loaded,
                                           std::map<std::string, std::uint64_t>* sources) {
  isolates::EnsureV8Initialized();
  // Declared before the creator so that they outlive the isolate it disposes.
  isolates::RuntimeState state;
  state.node_env = options.node_env;
  isolates::ModuleGraph graph;
  v8::SnapshotCreator creator(isolates::RuntimeExternalReferences());
  v8::Isolate* isolate = creator.GetIsolate();
  // Every v8::Global must go before the isolate does, on the error paths too, and before
  // CreateBlob, which refuses to run while one is alive.
  auto release_globals = [&state, &graph] {
    state.ReleaseHandles();
    graph = isolates::ModuleGraph();
  };
  struct ReleaseOnExit {
    decltype(release_globals)& release;
    ~ReleaseOnExit() { release(); }
  } release_on_exit{release_globals};
  isolate->SetMicrotasksPolicy(v8::MicrotasksPolicy::kExplicit);
  isolates::AttachRuntimeState(isolate, &state);
  {
    v8::HandleScope handle_scope(isolate);
    ipc::Result<v8::Local<v8::Context>> context =
        isolates::NewBundleContext(isolate, &state, &graph, options.bundle_path);
    if (!context.ok()) return context.error();
    if (loaded) loaded();
    if (sources != nullptr) *sources = graph.source_digests();
    {
      // So that import() in a context made from the snapshot finds the same module instances.
      v8::Context::Scope context_scope(context.value());
      ipc::Result<void> recorded = isolates::RecordModulesForSnapshot(
          isolate, context.value(), graph,
          [&](v8::Local<v8::Module> module) { return creator.AddData(context.value(), module); });
      if (!recorded.ok()) return recorded.error();
    }
    if (SnapshotHoldsGuard(isolates::IsolationName(options.isolation))) {
      // The guard's record of the builtins, made once here instead of in every worker
      // (isolates/context_guard.h); only for guarded workers (snapshot_file.h, SnapshotHoldsGuard).
      v8::Context::Scope context_scope(context.value());
      if (ipc::Result<void> prepared = isolates::ContextGuard::Prepare(isolate, context.value());
          !prepared.ok()) {
        return prepared.error();
      }
    }
    // A raw pointer in the context's embedder data would be baked into the blob.
    isolates::AttachModuleGraph(isolate, context.value(), nullptr);
    creator.SetDefaultContext(context.value());
  }
  release_globals();
  // kKeep: the bytecode compiled while the bundle loaded is kept, so renders start warmer.
  v8::StartupData blob = creator.CreateBlob(v8::SnapshotCreator::FunctionCodeHandling::kKeep);
  if (blob.data == nullptr || blob.raw_size <= 0) {
    return ipc::MakeError(ipc::ErrorCode::kUnavailable, "V8 made no snapshot of the bundle");
  }
  std::string bytes(blob.data, static_cast<std::size_t>(blob.raw_size));
  delete[] blob.data;
  return bytes;
}

}  // namespace ssrd::snapshots
