#include "pool/timer.h"

#include <utility>

namespace ssrd::pool {

Timer::Timer(uv_loop_t* loop) : handle_(new uv_timer_t) {
  uv_timer_init(loop, handle_);  // cannot fail on Unix
  handle_->data = this;
}

Timer::~Timer() {
  handle_->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(handle_),
           [](uv_handle_t* h) noexcept { delete reinterpret_cast<uv_timer_t*>(h); });
}

void Timer::Start(std::uint64_t delay_ms, std::function<void()> fn) {
  fn_ = std::move(fn);
  uv_timer_start(handle_, &Timer::OnTimer, delay_ms, 0);
}

void Timer::Stop() {
  uv_timer_stop(handle_);
  fn_ = nullptr;
}

bool Timer::pending() const { return uv_is_active(reinterpret_cast<const uv_handle_t*>(handle_)); }

void Timer::OnTimer(uv_timer_t* handle) noexcept {
  auto* self = static_cast<Timer*>(handle->data);
  if (self == nullptr) return;
  // Moved out first: the callback may restart or destroy this Timer.
  auto fn = std::move(self->fn_);
  self->fn_ = nullptr;
  if (fn) fn();
}

}  // namespace ssrd::pool
