#include "tools/bench/load_target.h"

namespace ssrd::bench {

std::string_view ResponseCheck::Check(std::string_view reply) const {
  if (reply.size() < min_bytes) return "bad_html";
  if (!marker.empty() && reply.find(marker) == std::string_view::npos) return "bad_html";
  return {};
}

}  // namespace ssrd::bench
