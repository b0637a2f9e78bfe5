// The one reader of the worker's channel. Between renders the owner thread reads it itself
// (Next() blocks in poll), so a request reaches the render with no hand-off between threads.
// While a render runs (between BeginRender() and EndRender()) a helper thread watches the channel
// instead, because only it can act then: a cancel frame goes straight to the RenderWatchdog (and
// is never answered: the supervisor takes the next frame from the worker as the reply to the
// render in flight); end of file tells the watchdog too, so a running render stops at once; every
// other frame is queued for Next(), stamped with the time it was read (deadlines count from then).
// The helper is armed with a one-shot epoll registration, and renders that see no frame cost it
// no wake-up at all. The watch stays armed from one render to the next while requests are queued
// (back-to-back renders of a pipelined batch cost no epoll_ctl each) and is disarmed only when
// Next() has to wait for the channel itself.
//
// Failure: Next() yields kTooLarge in frame order (the stream cannot be resynchronised after it)
// and kClosed on end of file or a read error, at once, ahead of frames still queued: with the
// supervisor gone nobody waits for their replies. Both are final: Next() keeps returning them.
// A cancel read by Next() between renders reaches the watchdog the same way (it keeps it for the
// render it names, if that one is still to come).
//
// Threads: Next(), BeginRender() and EndRender() on one owner thread. The fd (a socket: reads use
// recv with MSG_DONTWAIT) stays owned by the caller and must outlive the reader; the watchdog too.
// The destructor stops and joins the helper thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <poll.h>

#include "ipc/frame.h"
#include "ipc/message.h"
#include "ipc/spin_gate.h"
#include "worker/render_watchdog.h"

namespace ssrd::worker {

class ChannelReader {
 public:
  using Clock = std::chrono::steady_clock;

  struct Incoming {
    enum class Kind { kRequest, kUndecodable, kTooLarge, kClosed };
    Kind kind = Kind::kClosed;
    ipc::Request request;          // kRequest: never a cancel
    ipc::DecodeFailure failure;    // kUndecodable
    std::string why;               // kTooLarge, kClosed: for the log
    Clock::time_point read_at{};   // when the frame was read
    std::uint64_t frame = 0;       // its number on the channel: 1, 2, ... in reading order
  };

  // busy_poll: how long Next() polls an empty channel before it sleeps in the kernel.
  ChannelReader(int fd, RenderWatchdog* watchdog,
                std::chrono::microseconds busy_poll = std::chrono::microseconds(0));
  ~ChannelReader();

  // Blocks until a frame or the end of the channel.
  Incoming Next();

  // A render starts: the helper thread watches the channel until EndRender().
  void BeginRender();
  void EndRender();

  // Whether the next frame Next() will return is already read and a request that `test`
  // accepts (called under the reader's lock: it must not call back into the reader).
  bool NextQueuedIs(const std::function<bool(const ipc::Request&)>& test);

  ChannelReader(const ChannelReader&) = delete;
  ChannelReader& operator=(const ChannelReader&) = delete;

 private:
  void RunHelper();
  // Reads and decodes whatever the channel holds now, without blocking. mutex_ held.
  void ReadAvailableLocked();
  void DecodeLocked(Clock::time_point read_at);
  void CloseLocked(std::string why);
  // Arms (or disarms) the helper's one-shot watch of the channel.
  void ArmHelper(bool armed);
  // poll() without sleeping for up to busy_poll_: its result, 0 when nothing came.
  int BusyPoll(pollfd* channel);

  int fd_;
  std::chrono::microseconds busy_poll_;
  ipc::SpinGate spin_gate_;  // used by the thread in Next() only
  RenderWatchdog* watchdog_;
  int epoll_fd_ = -1;  // the helper's: the channel (one-shot) and stop_fd_
  int stop_fd_ = -1;   // eventfd; readable = the destructor wants the helper to return

  std::mutex mutex_;  // everything below: both threads read the channel, one at a time
  bool rendering_ = false;
  bool armed_ = false;  // the helper's one-shot watch is armed and has not fired
  ipc::FrameDecoder decoder_;
  std::string payload_;
  std::uint64_t frames_ = 0;
  std::deque<Incoming> queue_;
  std::optional<Incoming> closed_;
  bool too_large_ = false;  // a kTooLarge is queued: nothing after it is read

  std::thread helper_;  // last: started once every field above is ready
};

}  // namespace ssrd::worker
