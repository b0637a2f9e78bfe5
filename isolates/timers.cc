#include "isolates/timers.h"

#include <cmath>

namespace ssrd::isolates {

void TimerQueue::Schedule(std::uint64_t id, double delay_ms, Clock::time_point now) {
  Cancel(id);
  // Browsers clamp to [0, 2^31-1] ms; larger delays fire at once there, which surprises
  // everyone, so they are kept as the longest representable delay instead.
  if (!(delay_ms > 0)) delay_ms = 0;
  if (delay_ms > 2147483647.0) delay_ms = 2147483647.0;
  auto delay = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double, std::milli>(delay_ms));
  Key key{now + delay, next_seq_++, id};
  by_due_.insert(key);
  by_id_.emplace(id, key);
}

void TimerQueue::Cancel(std::uint64_t id) {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return;
  by_due_.erase(it->second);
  by_id_.erase(it);
}

void TimerQueue::Clear() {
  by_due_.clear();
  by_id_.clear();
}

std::optional<TimerQueue::Clock::time_point> TimerQueue::NextDue() const {
  if (by_due_.empty()) return std::nullopt;
  return by_due_.begin()->due;
}

std::optional<std::uint64_t> TimerQueue::PopDue(Clock::time_point now) {
  if (by_due_.empty() || by_due_.begin()->due > now) return std::nullopt;
  std::uint64_t id = by_due_.begin()->id;
  by_id_.erase(id);
  by_due_.erase(by_due_.begin());
  return id;
}

}  // namespace ssrd::isolates
