// Internal to the client library: one connected Unix socket, the reader thread that owns its
// read side, and the calls waiting for replies on it, keyed by request id.
//
// Open() connects and starts the reader. Call() registers a waiting slot, writes the whole frame
// under the write lock and blocks until the reply, the deadline or the loss of the connection.
// Once the connection is lost (EOF, read/write error, undecodable or oversized reply) it is dead
// for good: every waiting call fails with kUnavailable and later calls fail at once with
// *not_sent = true, so the owner opens a new one.
//
// Threads: Call/SendOnly/dead may be called from any thread. The destructor shuts the socket
// down and joins the reader; it must run in the process that opened the connection, with no
// call in progress. After fork(), the child calls AbandonAfterFork() and never destroys it.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>

#include <sys/types.h>

#include "ipc/error.h"
#include "ipc/frame.h"
#include "ipc/message.h"

namespace ssrd::client::detail {

class MuxConnection {
 public:
  using Clock = std::chrono::steady_clock;

  static ipc::Result<std::shared_ptr<MuxConnection>> Open(const std::string& socket_path,
                                                          std::chrono::milliseconds connect_timeout,
                                                          std::chrono::milliseconds send_timeout,
                                                          std::size_t max_frame_bytes);
  ~MuxConnection();

  MuxConnection(const MuxConnection&) = delete;
  MuxConnection& operator=(const MuxConnection&) = delete;

  // `frame` is the framed request whose id is `id`. On failure, *not_sent says whether the
  // request certainly never reached the daemon (the connection was already dead, or the write
  // failed), which makes one retry on a new connection safe.
  ipc::Result<ipc::Reply> Call(std::uint64_t id, std::string_view frame, Clock::time_point deadline,
                               bool* not_sent);
  // Writes a frame whose reply nobody waits for (a cancel); failures are ignored.
  void SendOnly(std::string_view frame);

  bool dead() const;
  // In a forked child: closes this process's copy of the socket (never shutdown(), which would
  // cut the parent's connection too). The object must then be leaked.
  void AbandonAfterFork();

 private:
  struct Slot {
    std::condition_variable cv;
    std::optional<ipc::Result<ipc::Reply>> result;
  };

  MuxConnection(int fd, std::string socket_path, std::size_t max_frame_bytes);
  void ReadLoop() noexcept;
  // Returns false when the payload was so broken that the connection must be dropped.
  bool Deliver(std::string_view payload);
  ipc::Result<void> WriteFrame(std::string_view frame);
  // Fails every waiting call with kUnavailable and wakes the reader.
  void MarkDead(const std::string& reason);

  std::atomic<int> fd_;
  const pid_t owner_pid_;
  const std::string socket_path_;
  const std::size_t max_frame_bytes_;
  std::thread reader_;

  std::mutex write_mu_;  // held for the whole of one frame's write

  mutable std::mutex mu_;  // guards everything below
  std::unordered_map<std::uint64_t, std::shared_ptr<Slot>> pending_;
  bool dead_ = false;
  std::string dead_reason_;
  std::string daemon_error_;  // a connection-level error the daemon sent before closing
};

}  // namespace ssrd::client::detail
