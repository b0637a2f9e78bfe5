// A one-shot libuv timer owned by a C++ object whose lifetime may end before libuv's close_cb.
//
// The uv_timer_t lives on the heap and is freed only in its own close_cb; destroying the Timer
// starts that close and drops the pending callback, so an owner can be deleted at any time (even
// from inside the callback). Loop thread only. The callback must not throw.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>

namespace ssrd::pool {

class Timer {
 public:
  explicit Timer(uv_loop_t* loop);
  ~Timer();
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  // Replaces any pending shot.
  void Start(std::uint64_t delay_ms, std::function<void()> fn);
  void Stop();
  bool pending() const;

 private:
  static void OnTimer(uv_timer_t* handle) noexcept;

  uv_timer_t* handle_;
  std::function<void()> fn_;
};

}  // namespace ssrd::pool
