// The daemon's counters in the Prometheus text exposition format (version 0.0.4), for
// `--metrics-listen`'s /metrics. A pure function of a pool::Stats snapshot: no I/O, any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "pool/pool.h"

namespace ssrd::tools {

struct BuildInfo {
  std::string_view version;     // ssrd's
  std::string_view v8_version;  // the workers'
};

std::string PrometheusText(const pool::Stats& stats, std::int64_t connections,
                           const BuildInfo& build);

}  // namespace ssrd::tools
