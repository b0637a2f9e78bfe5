#include "tools/ssrd/fd_limit.h"

#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <string>

namespace ssrd::tools {
namespace {

constexpr std::size_t kReservedBase = 64;
constexpr std::size_t kReservedPerWorker = 8;

std::uint64_t NrOpen() {
  std::ifstream in("/proc/sys/fs/nr_open");
  std::uint64_t value = 0;
  if (!(in >> value) || value == 0) value = 1u << 20;  // the kernel's default
  return value;
}

}  // namespace

ipc::Result<FdLimit> RaiseFdLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    return ipc::MakeError(ipc::ErrorCode::kUnavailable,
                          std::string("getrlimit(RLIMIT_NOFILE): ") + std::strerror(errno));
  }
  FdLimit result{limit.rlim_cur, limit.rlim_cur, limit.rlim_max};
  rlim_t target = limit.rlim_max;
  if (target == RLIM_INFINITY) target = static_cast<rlim_t>(NrOpen());
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur >= target) return result;
  limit.rlim_cur = target;
  if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
    return ipc::MakeError(ipc::ErrorCode::kUnavailable,
                          "cannot raise the soft limit of open files from " +
                              std::to_string(result.before) + " to " + std::to_string(target) +
                              ": " + std::strerror(errno));
  }
  result.soft = target;
  return result;
}

std::size_t ReservedFds(unsigned workers) {
  return kReservedBase + kReservedPerWorker * static_cast<std::size_t>(workers);
}

std::size_t ConnectionBudget(std::uint64_t soft_limit, unsigned workers) {
  const std::size_t reserved = ReservedFds(workers);
  if (soft_limit <= reserved + 1) return 1;
  return static_cast<std::size_t>(
      std::min<std::uint64_t>(soft_limit - reserved, std::numeric_limits<std::size_t>::max()));
}

}  // namespace ssrd::tools
