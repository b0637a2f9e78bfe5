#include "pool/worker_priority.h"

#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

namespace ssrd::pool {

bool CanRestoreWorkerPriority() {
  rlimit limit;
  if (getrlimit(RLIMIT_NICE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NICE, &limit);
  }
  // Probe: raise our own nice by one and take it back. Lowering it again is exactly the right in
  // question; a failure leaves us one step nicer, which the second call then repairs if it can.
  errno = 0;
  int before = getpriority(PRIO_PROCESS, 0);
  if (errno != 0 || before >= 19) return false;
  if (setpriority(PRIO_PROCESS, 0, before + 1) != 0) return false;
  return setpriority(PRIO_PROCESS, 0, before) == 0;
}

bool SetWorkerNice(pid_t pid, int nice) {
  bool all = true;
  std::error_code ec;
  std::filesystem::directory_iterator tasks("/proc/" + std::to_string(pid) + "/task", ec);
  if (ec) return setpriority(PRIO_PROCESS, static_cast<id_t>(pid), nice) == 0;
  for (const auto& task : tasks) {
    std::string name = task.path().filename().string();
    char* end = nullptr;
    long tid = std::strtol(name.c_str(), &end, 10);
    if (end == name.c_str() || *end != '\0' || tid <= 0) continue;
    if (setpriority(PRIO_PROCESS, static_cast<id_t>(tid), nice) != 0 && errno != ESRCH) {
      all = false;
    }
  }
  return all;
}

int WorkerNice(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
  std::size_t close = text.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  // Fields 3.. follow; nice is field 19, the 17th after the name.
  for (int i = 3; i <= 19 && (fields >> field); ++i) {
    if (i == 19) return std::atoi(field.c_str());
  }
  return 0;
}

}  // namespace ssrd::pool
