// Memory and CPU of a process and all its descendants, read from /proc (Linux).
//
// Sample() walks /proc once: the root, then every process whose parent is in the tree. RSS
// counts shared pages in every process that maps them; PSS divides them, so the PSS total is
// what the tree really costs. A process that exits mid-walk is skipped. Not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <sys/types.h>

namespace ssrd::bench {

struct ProcessUsage {
  pid_t pid = 0;
  std::string name;  // /proc/PID/comm
  std::uint64_t rss_kb = 0;
  std::uint64_t pss_kb = 0;
  double cpu_s = 0;  // user + system since it started
};

struct TreeSample {
  std::vector<ProcessUsage> processes;  // root first
  std::uint64_t rss_kb = 0;
  std::uint64_t pss_kb = 0;
  double cpu_s = 0;  // of the processes alive now, and of their children that exited and were waited for
};

TreeSample SampleTree(pid_t root);

// CPU time the whole machine has spent busy (every CPU's user, nice, system, irq, softirq and
// steal time in /proc/stat) since boot, in seconds: the difference over a measurement, less what
// the server and the load generator used, is what other processes took from it.
double MachineBusySeconds();

}  // namespace ssrd::bench
