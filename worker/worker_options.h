// Command line of ssrd-worker (the worker process contract, docs/architecture.md):
//   ssrd-worker --bundle FILE [--heap-limit-mb N] [--channel-fd 3] [--node-env production]
//               [--parent-pid PID] [--snapshot-dir DIR] [--isolation guarded|fresh|shared]
//               [--max-frame-bytes N] [--snapshot-file FILE] [--sandbox seccomp|off]
//               [--uid N] [--gid N] [--test-misbehave CALL[@render]]
//   ssrd-worker --build-snapshot --bundle FILE --snapshot-dir DIR [--node-env production]
// --max-frame-bytes is the supervisor's frame limit: a reply that would pass it is answered
// too_large instead (reply_limit.h), since the supervisor kills a worker that writes a bigger one.
// --snapshot-file names the snapshot of the generation the supervisor starts this worker for: it is
// used even when the bundle on disk has changed since (a respawn must run the code that loaded, not
// a broken deploy), and --snapshot-dir's lookup is the fallback when it cannot be read.
// --sandbox seccomp preloads the bundle's directory, then, once the bundle is loaded, installs the
// system-call filter; --uid/--gid switch identity before that (sandbox.h). The supervisor always
// passes --sandbox; run by hand the default is off. --test-misbehave is for tests only
// (misbehaviour.h) and hidden from --help.
// --parent-pid closes the race between fork and PR_SET_PDEATHSIG: when given, the worker exits
// at once if its parent is no longer that process.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <sys/types.h>

#include <optional>

#include "ipc/frame.h"

namespace ssrd::worker {

struct WorkerOptions {
  std::string bundle;
  std::size_t heap_limit_mb = 512;
  int channel_fd = 3;
  std::string node_env = "production";
  pid_t parent_pid = 0;  // 0: not given
  std::string snapshot_dir;  // "": no snapshots
  std::string snapshot_file;  // "": look it up in snapshot_dir by the bundle on disk
  bool build_snapshot = false;
  std::string isolation = "guarded";  // isolates::ParseIsolation accepts it
  std::size_t max_frame_bytes = ipc::kDefaultMaxFrameBytes;  // largest reply payload written
  unsigned busy_poll_us = 0;  // after a reply, poll the channel this long before sleeping
  std::string sandbox = "off";  // "seccomp" or "off"
  std::optional<uid_t> uid;
  std::optional<gid_t> gid;
  std::string test_misbehave;  // "": behave
};

// Parses argv. On --help, or on an invalid command line (after printing CLI11's message to
// stderr), returns nullopt and sets *exit_code (0 for --help, 2 for a bad command line: a fatal
// configuration error the supervisor must not retry).
std::optional<WorkerOptions> ParseWorkerOptions(int argc, char** argv, int* exit_code);

}  // namespace ssrd::worker
