// The supervisor's half of the worker sandbox (--worker-sandbox, --worker-user, --worker-group):
// deciding the mode at start and turning it into the worker's command line. The supervisor never
// installs a filter itself (it never links libseccomp either): each worker does, once its bundle
// is loaded (worker/sandbox.h).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "ipc/error.h"

namespace ssrd::pool {

// Whether this kernel can load a seccomp filter that fails and traps calls; *why says what is
// missing when not.
bool KernelCanFilterSyscalls(std::string* why);

// "auto" -> "seccomp" when the kernel can, else "off" (and *warning says why, for the log);
// "seccomp" -> "seccomp", or kBadRequest when the kernel cannot; "off" -> "off". Anything else is
// kBadRequest.
ipc::Result<std::string> ResolveWorkerSandbox(const std::string& mode, bool kernel_can,
                                              const std::string& why_not, std::string* warning);

// The worker's options for a resolved mode and identity: --sandbox MODE [--uid N] [--gid N].
std::vector<std::string> WorkerSandboxArgs(const std::string& mode, std::optional<uid_t> uid,
                                           std::optional<gid_t> gid);

}  // namespace ssrd::pool
