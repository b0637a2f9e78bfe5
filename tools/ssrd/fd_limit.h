// ssrd's share of file descriptors: the soft RLIMIT_NOFILE raised to the hard limit at start
// (service managers often start daemons at 1024), and how many client connections that leaves
// once the pool's own needs are set aside.
#pragma once

#include <cstddef>
#include <cstdint>

#include "ipc/error.h"

namespace ssrd::tools {

struct FdLimit {
  std::uint64_t before = 0;  // the soft limit ssrd was started with
  std::uint64_t soft = 0;    // the soft limit now
  std::uint64_t hard = 0;
};

// Raises the soft limit to the hard one (to fs.nr_open when the hard limit is unlimited, which
// setrlimit refuses). kUnavailable with the reason when getrlimit/setrlimit fail; the limit is
// then unchanged.
ipc::Result<FdLimit> RaiseFdLimit();

// Descriptors kept out of the connection budget: the listening sockets, stdio, the loop's own, the
// bundle watcher, /proc reads, the snapshot builder, and per worker slot two workers at a time
// (a replacement beside the old one), each a channel plus the socketpair and exec-status pipe
// uv_spawn holds while starting it.
std::size_t ReservedFds(unsigned workers);

// The most connections `soft_limit` descriptors allow beside the reserve (at least 1).
std::size_t ConnectionBudget(std::uint64_t soft_limit, unsigned workers);

}  // namespace ssrd::tools
