// Replies the worker holds back while it renders the requests already waiting behind them, so
// that a pipelined batch of short renders goes to the supervisor in one write (one wake-up of the
// supervisor instead of one per reply). The policy (Hold): a reply is held only while the next
// request is already read and expected to be short (the caller knows: the last render of the same
// component was short), the oldest held reply is young and the held bytes are few; otherwise
// everything held is written at once. So a reply never waits behind a render expected to be
// long; one whose time depends on its props can still surprise, once.
//
// What is held is whole frames, in order; the owner writes them before anything else reaches the
// channel (a streamed render's chunk frames, the exit). Owner thread only.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "ipc/error.h"

namespace ssrd::worker {

class ReplyBatch {
 public:
  using Clock = std::chrono::steady_clock;
  // A render (with the context preparation after it) this short is worth a held reply.
  static constexpr Clock::duration kShortWork = std::chrono::microseconds(200);

  struct Limits {
    // The oldest held reply is written by this age at the latest.
    Clock::duration max_hold = std::chrono::microseconds(500);
    std::size_t max_bytes = 64 * 1024;
  };

  ReplyBatch() = default;
  explicit ReplyBatch(Limits limits) : limits_(limits) {}

  // One encoded reply frame, ready at `now`: held, or written at once with everything held
  // before it. `next_is_short`: the next request is already read and expected to take under
  // kShortWork. Fails only when the supervisor is gone; what was held is dropped then.
  ipc::Result<void> Send(int fd, std::string_view frame, bool next_is_short,
                         Clock::time_point now);

  // Writes everything held (before a streamed render's chunks, before the worker exits).
  ipc::Result<void> Flush(int fd);

  bool empty() const { return frames_.empty(); }

 private:
  bool Hold(std::size_t frame_bytes, bool next_is_short, Clock::time_point now) const;

  Limits limits_;
  std::string frames_;
  Clock::time_point oldest_{};
};

}  // namespace ssrd::worker
