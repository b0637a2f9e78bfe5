#include "worker/render_watchdog.h"

namespace ssrd::worker {

RenderWatchdog::RenderWatchdog(isolates::Engine* engine)
    : engine_(engine), thread_([this] { Run(); }) {}

RenderWatchdog::~RenderWatchdog() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    quit_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void RenderWatchdog::Begin(std::uint64_t request_id, std::uint64_t frame,
                           std::optional<Clock::time_point> deadline) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++seq_;
    running_ = true;
    request_id_ = request_id;
    deadline_ = deadline;
    stopped_.reset();
    if (channel_closed_) {
      StopLocked(StopReason::kChannelClosed);
    } else if (early_cancel_ && early_cancel_->request_id == request_id &&
               frame < early_cancel_->frame) {
      early_cancel_.reset();
      StopLocked(StopReason::kCancelled);
    }
  }
  changed_.notify_all();
}

std::optional<StopReason> RenderWatchdog::End() {
  std::optional<StopReason> why;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    running_ = false;
    deadline_.reset();
    why = stopped_;
    stopped_.reset();
  }
  changed_.notify_all();
  // Every Interrupt() happens under mutex_ while running_: none can follow this point, so
  // clearing now leaves nothing behind for the next render. The render may have finished before
  // a stop requested at its very end took effect; that request is cleared here too.
  engine_->ClearInterrupt();
  return why;
}

void RenderWatchdog::Cancel(std::uint64_t request_id, std::uint64_t frame) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (running_ && request_id_ == request_id) {
    StopLocked(StopReason::kCancelled);
  } else {
    early_cancel_ = EarlyCancel{request_id, frame};
  }
}

void RenderWatchdog::ChannelClosed() {
  std::lock_guard<std::mutex> lock(mutex_);
  channel_closed_ = true;
  StopLocked(StopReason::kChannelClosed);
}

void RenderWatchdog::StopLocked(StopReason why) {
  if (!running_ || stopped_) return;  // nothing to stop, or already stopping for a reason
  stopped_ = why;
  engine_->Interrupt();
}

void RenderWatchdog::Run() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!quit_) {
    if (!running_ || !deadline_ || stopped_) {
      changed_.wait(lock);
      continue;
    }
    const std::uint64_t seq = seq_;
    const Clock::time_point deadline = *deadline_;
    changed_.wait_until(lock, deadline, [&] { return quit_ || seq_ != seq || !running_; });
    // The deadline is that of render `seq`: stop it only if that render is still the one running.
    if (!quit_ && running_ && seq_ == seq && Clock::now() >= deadline) {
      StopLocked(StopReason::kTimeout);
    }
  }
}

}  // namespace ssrd::worker
