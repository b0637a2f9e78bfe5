// `ssrctl stats`: fetches the daemon's whole stats reply (counters and the worker table) and
// renders it for people (a table) or for scripts (JSON).
//
// FetchStats opens its own blocking connection (exchange.h): the C++ client's Stats() returns only
// the counters, and ssrctl needs the `workers` array too. Every wait is bounded by `timeout`.
// Failures are values: those of Exchange(), and the daemon's own error for an error reply.
// Single-threaded; no state is kept between calls.
#pragma once

#include <chrono>
#include <string>

#include "ipc/error.h"
#include "ipc/message.h"

namespace ssrd::ssrctl {

ipc::Result<ipc::Reply> FetchStats(const std::string& socket_path,
                                   std::chrono::milliseconds timeout);

// The worker table (columns PID SLOT STATE GEN SERVED RESTARTS HEAP(MiB) RSS(MiB), one row per
// worker, ordered by slot then generation, memory in MiB with one decimal), an empty line, then
// one aligned `name  value` line per counter (the known counters in a fixed order, any others
// after them by name). Ends with a newline.
std::string FormatStatsTable(const ipc::Reply& reply);

// {"stats": {name: int, ...}, "workers": [{"pid":…, "slot":…, "state":…, "generation":…,
// "served":…, "restarts":…, "heap_used":…, "rss":…}, ...]}, memory in bytes, ending with a
// newline.
std::string FormatStatsJson(const ipc::Reply& reply);

}  // namespace ssrd::ssrctl
