// Helpers shared by the supervision tests: a private copy of a bundle (so that the workers of one
// test can be told from every other test's by their command line), raw request/reply calls with a
// bound, and waiting for a condition with a bound.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "ipc/message.h"
#include "tests/integration/daemon_process.h"
#include "tests/integration/raw_socket.h"

namespace ssrd::testing {

// Copies tests/integration/bundles/NAME into `dir` and returns the copy's path.
std::string CopyBundle(const TempDir& dir, const std::string& name);

// Live ssrd-worker processes whose command line names `bundle_path`.
std::vector<pid_t> WorkerPids(const std::string& bundle_path);

// Polls `done` every 10 ms until it holds or `bound` passes; returns whether it held.
bool WaitFor(const std::function<bool()>& done, std::chrono::milliseconds bound);

ipc::Request RenderRequest(std::uint64_t id, const std::string& component,
                           const std::string& props_json);

// Writes one request and reads frames until the reply with its id (others are dropped), within
// `bound`. nullopt (with a gtest failure) when the bound passes or the connection drops.
std::optional<ipc::Reply> Call(RawConnection& conn, const ipc::Request& request,
                               std::chrono::milliseconds bound = std::chrono::seconds(30));

// The stats reply of the daemon (totals and the worker table).
ipc::Reply Stats(const std::string& socket_path);

}  // namespace ssrd::testing
