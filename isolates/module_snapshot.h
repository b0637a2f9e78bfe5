// Carries a ModuleGraph across a startup snapshot. A context made from a snapshot holds the
// bundle's modules, but the graph that found them by path is C++ (v8::Globals are not part of a
// snapshot), and without it import() of a file the bundle already imported statically would load
// a second instance. So the builder adds every module to the snapshot
// (SnapshotCreator::AddData) and records their paths, indexes and the bundle's directory on the
// context's global object under a private key; RestoreModulesFromSnapshot reads them back into
// the graph of each context made from the snapshot.
//
// Caller holds a HandleScope and is inside `context`. Restoring a context that records nothing
// (a snapshot made before this existed) leaves the graph empty: import() then loads from disk.
#pragma once

#include <cstddef>
#include <functional>

#include <v8.h>

#include "ipc/error.h"
#include "isolates/module_loader.h"

namespace ssrd::isolates {

// `add_data` is SnapshotCreator::AddData(context, module), returning its index.
ipc::Result<void> RecordModulesForSnapshot(
    v8::Isolate* isolate, v8::Local<v8::Context> context, const ModuleGraph& graph,
    const std::function<std::size_t(v8::Local<v8::Module>)>& add_data);

void RestoreModulesFromSnapshot(v8::Isolate* isolate, v8::Local<v8::Context> context,
                                ModuleGraph* graph);

}  // namespace ssrd::isolates
