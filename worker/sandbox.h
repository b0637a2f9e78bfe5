// What a worker gives up once its bundle is loaded (issue 11, item 7; docs/operations.md, "What a
// worker can do"), in this order:
//   1. its identity, with --uid/--gid (the supervisor's --worker-user/--worker-group): the
//      supplementary groups become just the new group, then the group, then the user change, for
//      real, effective and saved ids alike, so none can be taken back; the parent-death signal,
//      which the kernel clears on a change of credentials, is armed again, and the parent checked
//      once more (it may have died in between);
//   2. with seccomp: the system-call filter (seccomp_filter.h). No new privileges has been set
//      since the worker's first instruction (worker_main.cc), which the filter also needs.
// Before step 2 the caller must have read whatever the worker will read later (the bundle's files:
// isolates/source_files.h) and let the libraries probe the system (isolates/library_warmup.h).
#pragma once

#include <sys/types.h>

#include <optional>

#include "ipc/error.h"

namespace ssrd::worker {

struct SandboxOptions {
  bool seccomp = false;
  std::optional<uid_t> uid;
  std::optional<gid_t> gid;
  pid_t parent_pid = 0;  // 0: not checked
};

// kInternal naming the step and the reason ("cannot switch to uid 65534: Operation not
// permitted"), after which the worker must not serve: it reports the error in its hello and exits 2.
ipc::Result<void> EnterSandbox(const SandboxOptions& options);

}  // namespace ssrd::worker
