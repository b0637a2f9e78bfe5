#include "pool/worker_sandbox.h"

#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

namespace ssrd::pool {

bool KernelCanFilterSyscalls(std::string* why) {
  // EINVAL: a kernel built without CONFIG_SECCOMP.
  if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0) {
    *why = std::string("the kernel has no seccomp (prctl PR_GET_SECCOMP: ") + std::strerror(errno) +
           ")";
    return false;
  }
  // Each action the worker's filter uses must be there (kernels before 4.14 cannot be asked).
  for (std::uint32_t action : {SECCOMP_RET_ERRNO, SECCOMP_RET_TRAP, SECCOMP_RET_ALLOW}) {
    if (syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) != 0) {
      *why = std::string("the kernel cannot filter system calls with seccomp (") +
             std::strerror(errno) + ")";
      return false;
    }
  }
  return true;
}

ipc::Result<std::string> ResolveWorkerSandbox(const std::string& mode, bool kernel_can,
                                              const std::string& why_not, std::string* warning) {
  if (mode == "off") return std::string("off");
  if (mode == "seccomp" || mode == "auto") {
    if (kernel_can) return std::string("seccomp");
    if (mode == "seccomp") {
      return ipc::MakeError(ipc::ErrorCode::kBadRequest,
                            "--worker-sandbox seccomp: " + why_not +
                                "; use --worker-sandbox auto or off to run workers without it");
    }
    *warning = why_not + "; workers run without a system-call filter (--worker-sandbox auto)";
    return std::string("off");
  }
  return ipc::MakeError(ipc::ErrorCode::kBadRequest,
                        "--worker-sandbox must be auto, seccomp or off, not '" + mode + "'");
}

std::vector<std::string> WorkerSandboxArgs(const std::string& mode, std::optional<uid_t> uid,
                                           std::optional<gid_t> gid) {
  std::vector<std::string> args = {"--sandbox", mode};
  if (uid) args.insert(args.end(), {"--uid", std::to_string(*uid)});
  if (gid) args.insert(args.end(), {"--gid", std::to_string(*gid)});
  return args;
}

}  // namespace ssrd::pool
