// Scheduling priority of replacement workers. A worker that replaces another (recycling, a reload,
// a respawn) loads libnode, deserialises its snapshot and renders its warm-up requests while the
// workers it will relieve are still serving: on a machine with as many cores as workers that is
// CPU taken from live requests, and it showed as the slowest 1% of replies. At a lower priority
// (nice) the replacement uses what the serving workers leave; once warm it gets the normal
// priority back.
//
// Giving the priority back needs the right to lower a nice value: root, CAP_SYS_NICE or an
// RLIMIT_NICE that allows nice 0 (systemd: LimitNICE=+0). Without it, replacements are not
// deprioritised at all (a worker stuck at nice 10 would be worse than the contention).
// Linux only; any thread.
#pragma once

#include <sys/types.h>

namespace ssrd::pool {

// How much lower than the serving workers a replacement runs until it is warm. Relative: under a
// supervisor started at nice 5, replacements run at 15 and serving workers at 5, never above the
// supervisor's own priority.
inline constexpr int kReplacementNiceStep = 10;

// Raises RLIMIT_NICE's soft limit to its hard one, then says whether this process may set a nice
// value back to 0 (probed on itself, leaving its own priority as it was).
bool CanRestoreWorkerPriority();

// Sets the nice value of every thread of `pid` (Linux's nice is per thread; threads a process
// creates later inherit their creator's). False if any thread refused.
bool SetWorkerNice(pid_t pid, int nice);

// The nice value of `pid`'s main thread, from /proc (for tests and diagnostics); 0 if unknown.
int WorkerNice(pid_t pid);

}  // namespace ssrd::pool
