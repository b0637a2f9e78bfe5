#include "isolates/interrupt_signal.h"

namespace ssrd::isolates {

void InterruptSignal::Raise() {
  {
    // Set under the mutex so that a waiter between its check and its wait cannot miss it.
    std::lock_guard<std::mutex> lock(mutex_);
    raised_.store(true, std::memory_order_release);
  }
  wake_.notify_all();
}

void InterruptSignal::Clear() {
  std::lock_guard<std::mutex> lock(mutex_);
  raised_.store(false, std::memory_order_release);
}

bool InterruptSignal::WaitUntil(Clock::time_point until) {
  std::unique_lock<std::mutex> lock(mutex_);
  return wake_.wait_until(lock, until, [this] { return raised_.load(std::memory_order_acquire); });
}

}  // namespace ssrd::isolates
