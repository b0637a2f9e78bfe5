// Makes the startup snapshot of a bundle: a V8 snapshot whose default context holds the runtime
// globals and the evaluated bundle (isolates/bundle_context.h), so that an engine started from it
// (EngineOptions::snapshot_blob) gets a ready context per render by deserialisation alone.
//
// Failure: the loader's kBundleError when the bundle does not load; kUnavailable when V8 returns no
// blob. V8 cannot serialise some things a bundle may make at load time (an Intl formatter, host
// objects); it then aborts the process instead of returning,
// which is why only a process of its own (`ssrd-worker --build-snapshot`) calls this.
//
// Threads: any one thread; V8 is initialised on first use (isolates/v8_process.h).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "ipc/error.h"
#include "isolates/engine.h"

namespace ssrd::snapshots {

// Uses options.bundle_path and options.node_env; the heap limit applies to the engines, not here.
// `loaded` (optional) is called once the bundle has loaded, before V8 serialises it: the moment a
// progress line is worth printing, since a bundle that does not load needs only its error.
// `sources` (optional) receives every file the bundle loaded, with the digest of the bytes that
// went into the snapshot (isolates::ModuleGraph::source_digests), for WriteSnapshotFile.
ipc::Result<std::string> BuildSnapshotBlob(const isolates::EngineOptions& options,
                                           const std::function<void()>& loaded = nullptr,
                                           std::map<std::string, std::uint64_t>* sources = nullptr);

}  // namespace ssrd::snapshots
