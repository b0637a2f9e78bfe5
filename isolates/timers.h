// The runtime's macrotask queue: setTimeout/setInterval timers and MessagePort deliveries, each
// known here only by an id (the callbacks themselves live on the JS side, see runtime_prelude.cc).
// Ordered by due time, then by scheduling order, so zero-delay tasks run first-in first-out.
// Pure C++ (no V8), one per isolate; not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <unordered_map>
#include <utility>

namespace ssrd::isolates {

class TimerQueue {
 public:
  using Clock = std::chrono::steady_clock;

  // Schedules (or reschedules) id to run at now + delay; a negative or NaN delay counts as 0.
  void Schedule(std::uint64_t id, double delay_ms, Clock::time_point now);
  // Forgets id; unknown ids are ignored (clearTimeout of a fired timer is legal).
  void Cancel(std::uint64_t id);
  // Drops everything (a render settled: its leftovers must not run in the next one).
  void Clear();

  bool empty() const { return by_due_.empty(); }
  std::size_t size() const { return by_due_.size(); }
  // When the earliest timer is due; nullopt when the queue is empty.
  std::optional<Clock::time_point> NextDue() const;
  // Removes and returns the earliest timer if it is due at `now`.
  std::optional<std::uint64_t> PopDue(Clock::time_point now);

 private:
  struct Key {
    Clock::time_point due;
    std::uint64_t seq;
    std::uint64_t id;
    bool operator<(const Key& o) const {
      return due != o.due ? due < o.due : seq < o.seq;
    }
  };
  std::set<Key> by_due_;
  std::unordered_map<std::uint64_t, Key> by_id_;
  std::uint64_t next_seq_ = 0;
};

}  // namespace ssrd::isolates
