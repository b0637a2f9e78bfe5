#include "tools/bench/signal_guard.h"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>

#include <unistd.h>

namespace ssrd::bench {
namespace {

std::atomic<pid_t> guarded_group{0};
// Fixed storage: the handler may not allocate. A longer path is not written (and not removed).
char pid_file_path[4096] = {0};

void StopGroupAndExit(int signal_number) {
  const pid_t group = guarded_group.exchange(0);
  if (group > 0) {
    ::kill(-group, SIGTERM);
    const timespec tick{0, 10 * 1000 * 1000};
    for (int i = 0; i < 200 && ::kill(-group, 0) == 0; ++i) ::nanosleep(&tick, nullptr);
    ::kill(-group, SIGKILL);
  }
  if (pid_file_path[0] != '\0') ::unlink(pid_file_path);
  ::_exit(128 + signal_number);
}

}  // namespace

void GuardGroupOnSignals(pid_t group, const std::string& pid_file) {
  pid_file_path[0] = '\0';
  if (!pid_file.empty() && pid_file.size() < sizeof pid_file_path) {
    if (std::FILE* out = std::fopen(pid_file.c_str(), "w")) {
      std::fprintf(out, "%d\n", static_cast<int>(group));
      std::fclose(out);
      std::memcpy(pid_file_path, pid_file.c_str(), pid_file.size() + 1);
    }
  }
  guarded_group.store(group);
  struct sigaction action {};
  action.sa_handler = StopGroupAndExit;
  sigemptyset(&action.sa_mask);
  for (int s : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(s, &action, nullptr);
}

void ReleaseGroup() {
  guarded_group.store(0);
  if (pid_file_path[0] != '\0') ::unlink(pid_file_path);
  pid_file_path[0] = '\0';
}

}  // namespace ssrd::bench
