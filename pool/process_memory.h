// The resident memory of a process, read from /proc/PID/statm. Any thread.
#pragma once

#include <sys/types.h>

#include <cstdint>

namespace ssrd::pool {

// Resident set size in bytes; 0 when the process is gone or /proc cannot be read.
std::int64_t ResidentBytes(pid_t pid);

}  // namespace ssrd::pool
