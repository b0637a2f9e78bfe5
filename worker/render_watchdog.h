// Stops a render that must not go on: past its deadline, cancelled by the supervisor, or with the
// channel gone. The owner thread brackets each Render with Begin() and End(); a watchdog thread
// waits for the deadline; the channel reader calls Cancel() and ChannelClosed(). Every stop goes
// through Engine::Interrupt under one mutex, and only while the render it names is running (a
// render sequence number, checked under that mutex), so a deadline or cancel that arrives late
// can never stop the next render: End() closes the window under the mutex, then clears whatever
// interrupt is left in the engine.
//
// Threads: Begin() and End() on the engine's owner thread, alternately; Cancel() and
// ChannelClosed() from any thread. The engine must outlive the watchdog; the destructor joins the
// watchdog thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <thread>

#include "isolates/engine.h"

namespace ssrd::worker {

enum class StopReason {
  kTimeout,        // the deadline given to Begin() passed
  kCancelled,      // Cancel() named this render's request
  kChannelClosed,  // the supervisor is gone or wants us gone: nobody waits for a reply
};

class RenderWatchdog {
 public:
  using Clock = std::chrono::steady_clock;

  explicit RenderWatchdog(isolates::Engine* engine);
  ~RenderWatchdog();

  // The render of request `request_id`, read as frame number `frame` of the channel, starts now;
  // stop it at `deadline` (nullopt: never). It is stopped at once if the channel closed, or if a
  // cancel read after it named it before it began.
  void Begin(std::uint64_t request_id, std::uint64_t frame,
             std::optional<Clock::time_point> deadline);
  // The render returned. Returns why it was stopped, or nullopt when it was not. Afterwards no
  // interrupt meant for it is left in the engine.
  std::optional<StopReason> End();

  // Stops the render in flight if it serves request_id. A cancel read as frame number `frame`
  // may also name a render read before it that has not begun yet (the supervisor counts it in
  // flight once written): the latest such cancel is kept for Begin(). Anything else (finished,
  // unknown) is ignored.
  void Cancel(std::uint64_t request_id, std::uint64_t frame);
  // Stops the render in flight, if any, and every later one as it begins.
  void ChannelClosed();

  RenderWatchdog(const RenderWatchdog&) = delete;
  RenderWatchdog& operator=(const RenderWatchdog&) = delete;

 private:
  void Run();
  void StopLocked(StopReason why);  // mutex_ held

  isolates::Engine* engine_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool running_ = false;   // between Begin() and End()
  std::uint64_t seq_ = 0;  // which render is (or was last) running: +1 per Begin()
  std::uint64_t request_id_ = 0;
  std::optional<Clock::time_point> deadline_;
  std::optional<StopReason> stopped_;
  struct EarlyCancel {
    std::uint64_t request_id;
    std::uint64_t frame;  // of the cancel: it can only name renders read before it
  };
  std::optional<EarlyCancel> early_cancel_;
  bool channel_closed_ = false;
  // The deadline the thread sleeps until; nullopt while it sleeps until notified.
  std::optional<Clock::time_point> sleeping_until_;
  bool quit_ = false;
  std::thread thread_;  // last: started once every field above is ready
};

}  // namespace ssrd::worker
