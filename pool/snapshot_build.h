// Builds the startup snapshot of a bundle before workers start from it: runs
// `ssrd-worker --build-snapshot --bundle B --snapshot-dir D ...` as a child process and reads the
// one line it prints: "snapshot: PATH" (built, or found in the cache) or
// "snapshot: unavailable: REASON" (the bundle cannot be snapshotted; workers load it normally).
//
// The supervisor never touches V8 itself (design.md), so the snapshot is made by a worker binary
// in a mode of its own, once, instead of by every worker racing to make the same file.
//
// Failure: `done` gets the path, or an error whose message says why no snapshot is available
// (kUnavailable: the builder could not run or the bundle cannot be snapshotted; kBundleError:
// the bundle does not load at all, exit code 2). Loop thread only; `done` runs once, posted from
// libuv's callbacks, never inside Start(); destroying the SnapshotBuild kills the builder and
// drops `done`.
#pragma once

#include <uv.h>

#include <functional>
#include <memory>
#include <string>

#include "ipc/error.h"
#include "pool/worker_process.h"

namespace ssrd::pool {

class SnapshotBuild {
 public:
  using Done = std::function<void(ipc::Result<std::string>)>;
  static std::unique_ptr<SnapshotBuild> Start(uv_loop_t* loop, const WorkerSpawnOptions& worker,
                                              const std::string& snapshot_dir, Done done);
  ~SnapshotBuild();
  SnapshotBuild(const SnapshotBuild&) = delete;
  SnapshotBuild& operator=(const SnapshotBuild&) = delete;

  struct State;

 private:
  explicit SnapshotBuild(std::shared_ptr<State> state) : state_(std::move(state)) {}
  std::shared_ptr<State> state_;
};

// The reason given when the builder died by `signal` (SIGTRAP, SIGABRT, SIGILL: V8 could not
// serialise the bundle).
std::string BuilderKilledMessage(int signal);

// Parses the builder's stdout (the last line that starts with "snapshot: "). For tests.
ipc::Result<std::string> ParseSnapshotVerdict(const std::string& stdout_text, int exit_code);

}  // namespace ssrd::pool
