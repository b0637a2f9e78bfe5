// The one reader of the worker's channel. A thread reads and decodes every frame as it arrives,
// also while a render runs: a cancel frame goes straight to the RenderWatchdog (and is never
// answered: the supervisor takes the next frame from the worker as the reply to the render in
// flight); end of file tells the watchdog too, so a running render stops at once; every other
// frame is queued for the owner thread, stamped with the time it was read (deadlines count from
// then).
//
// Failure: Next() yields kTooLarge in frame order (the stream cannot be resynchronised after it)
// and kClosed on end of file or a read error, at once, ahead of frames still queued: with the
// supervisor gone nobody waits for their replies. Both are final: Next() keeps returning them.
//
// Threads: Next() on one owner thread. The fd stays owned by the caller and must outlive the
// reader; the watchdog too. The destructor stops and joins the thread (it never blocks in read:
// it polls the fd together with a stop eventfd).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "ipc/message.h"
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

  ChannelReader(int fd, RenderWatchdog* watchdog);
  ~ChannelReader();

  // Blocks until a frame or the end of the channel.
  Incoming Next();

  ChannelReader(const ChannelReader&) = delete;
  ChannelReader& operator=(const ChannelReader&) = delete;

 private:
  void Run();
  void Push(Incoming incoming);
  void Close(std::string why);

  int fd_;
  RenderWatchdog* watchdog_;
  int stop_fd_ = -1;  // eventfd; readable = the destructor wants the thread to return
  std::mutex mutex_;
  std::condition_variable arrived_;
  std::deque<Incoming> queue_;
  std::optional<Incoming> closed_;
  std::thread thread_;  // last: started once every field above is ready
};

}  // namespace ssrd::worker
