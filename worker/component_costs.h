// What each component's last render cost the worker (render plus the context preparation after
// it), to guess whether the next render of the same component is short: ReplyBatch holds a reply
// only in front of a short one. A component never rendered, or last rendered by a failed render,
// counts as long. Pings and other ops that render nothing are short; streamed renders are long
// (their chunks must not wait). At most kMaxComponents names are kept (a bundle has few; names
// in failed requests are not kept at all); past that the table starts again. Owner thread only.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <unordered_map>

#include "ipc/message.h"

namespace ssrd::worker {

class ComponentCosts {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::size_t kMaxComponents = 1024;

  explicit ComponentCosts(Clock::duration short_cost) : short_cost_(short_cost) {}

  void Record(const std::string& component, Clock::duration cost);
  void Forget(const std::string& component);  // its last render failed

  bool ExpectShort(const ipc::Request& request) const;

 private:
  Clock::duration short_cost_;
  std::unordered_map<std::string, Clock::duration> last_cost_;
};

}  // namespace ssrd::worker
