// The flag another thread raises to stop the render running in an isolate, and the wait the event
// loop uses instead of a plain sleep so that raising the flag also ends a wait for a timer.
// V8's TerminateExecution alone cannot do that: it stops JS, but the loop sleeps in C++.
//
// Threads: Raise() from any thread; Clear() and WaitUntil() from the isolate's thread. raised()
// from any thread. Owned by RuntimeState (one per isolate). Pure C++ (no V8).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

namespace ssrd::isolates {

class InterruptSignal {
 public:
  using Clock = std::chrono::steady_clock;

  void Raise();
  // Lowers the flag; a Raise() that comes later is kept.
  void Clear();
  bool raised() const { return raised_.load(std::memory_order_acquire); }
  // Sleeps until `until` or until the flag is raised, whichever comes first; returns at once if
  // it already is. Returns raised().
  bool WaitUntil(Clock::time_point until);

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  std::atomic<bool> raised_{false};
};

}  // namespace ssrd::isolates
