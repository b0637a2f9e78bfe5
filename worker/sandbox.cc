#include "worker/sandbox.h"

#include <grp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <string>

#include "worker/seccomp_filter.h"

namespace ssrd::worker {
namespace {

ipc::Error Failure(const std::string& what, int error_number) {
  return ipc::MakeError(ipc::ErrorCode::kInternal, what + ": " + std::strerror(error_number));
}

ipc::Result<void> SwitchIdentity(const SandboxOptions& options) {
  if (options.gid) {
    const gid_t gid = *options.gid;
    // Groups first: once the user is no longer root, it could not drop them any more.
    if (setgroups(1, &gid) != 0) {
      return Failure("cannot set the supplementary groups to gid " + std::to_string(gid), errno);
    }
    if (setresgid(gid, gid, gid) != 0) {
      return Failure("cannot switch to gid " + std::to_string(gid), errno);
    }
  }
  if (options.uid) {
    const uid_t uid = *options.uid;
    if (setresuid(uid, uid, uid) != 0) {
      return Failure("cannot switch to uid " + std::to_string(uid), errno);
    }
    // Root that became someone else must not be able to become root again.
    if (uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
      return ipc::MakeError(ipc::ErrorCode::kInternal,
                            "switched to uid " + std::to_string(uid) + " but could become root again");
    }
  }
  if (options.uid || options.gid) {
    // The kernel clears the parent-death signal when credentials change.
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) return Failure("cannot set PR_SET_PDEATHSIG", errno);
    if (options.parent_pid != 0 && getppid() != options.parent_pid) {
      return ipc::MakeError(ipc::ErrorCode::kInternal,
                            "parent " + std::to_string(options.parent_pid) + " is gone");
    }
  }
  return {};
}

}  // namespace

ipc::Result<void> EnterSandbox(const SandboxOptions& options) {
  if (auto switched = SwitchIdentity(options); !switched.ok()) return switched;
  if (!options.seccomp) return {};
  // glibc reads /etc/localtime the first time it converts a time to local time (spdlog's
  // timestamps do): after the filter that open() fails and every log line would be in UTC.
  tzset();
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    return Failure("cannot set no-new-privileges", errno);
  }
  return InstallSeccompFilter();
}

}  // namespace ssrd::worker
