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
  bool wake = false;
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
    // The thread needs waking only when it would otherwise sleep past this deadline: asleep for
    // good, or until a later one. Waking it for every render would cost two thread switches
    // per request for nothing.
    wake = deadline_ && (!sleeping_until_ || *deadline_ < *sleeping_until_);
  }
  if (wake) changed_.notify_all();
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
  // The thread is not woken: at its deadline it finds this render gone and goes back to sleep.
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
      sleeping_until_.reset();
      changed_.wait(lock);
      continue;
    }
    // The deadline of the render running now; on waking, the loop looks again at whichever
    // render is running then, so a deadline can only ever stop its own render.
    if (Clock::now() >= *deadline_) {
      StopLocked(StopReason::kTimeout);
      continue;
    }
    sleeping_until_ = *deadline_;
    changed_.wait_until(lock, *sleeping_until_);
  }
}

}  // namespace ssrd::worker
