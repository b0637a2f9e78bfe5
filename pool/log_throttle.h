// At most one log line per interval for an event that a client can cause at will (refused
// connections, failed accepts): a synchronous log write per event would let a flood of them take
// the CPU the daemon's real work needs. One per event source; loop thread only.
#pragma once

#include <chrono>
#include <cstdint>

namespace ssrd::pool {

class LogThrottle {
 public:
  using Clock = std::chrono::steady_clock;
  explicit LogThrottle(Clock::duration interval = std::chrono::seconds(1)) : interval_(interval) {}

  // Counts one event. True when a line is due now: the caller logs count() events over
  // seconds() (the first event always logs at once), and the count starts again.
  bool Note() {
    ++count_;
    Clock::time_point now = Clock::now();
    if (logged_once_ && now - logged_at_ < interval_) return false;
    seconds_ = logged_once_ ? std::chrono::duration<double>(now - logged_at_).count() : 0.0;
    reported_ = count_;
    count_ = 0;
    logged_at_ = now;
    logged_once_ = true;
    return true;
  }
  // Valid after Note() returned true: the events the line is about, and the time they span
  // (0 for the first line).
  std::uint64_t count() const { return reported_; }
  double seconds() const { return seconds_; }

 private:
  Clock::duration interval_;
  Clock::time_point logged_at_{};
  bool logged_once_ = false;
  std::uint64_t count_ = 0;
  std::uint64_t reported_ = 0;
  double seconds_ = 0.0;
};

}  // namespace ssrd::pool
