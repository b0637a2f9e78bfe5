// A framed connection over a libuv stream (Unix socket, socketpair end or TCP socket): glues uv_read_cb to a
// FrameDecoder and queues whole frames for writing, so a frame is never interleaved with another.
//
// Writes are combined: frames queued during one turn of the loop leave together in one writev(),
// when the loop finishes its I/O callbacks (uv_check) or before it next waits (uv_prepare, for
// frames queued by timers). Every reply a burst of requests produced costs the peer one wake-up.
//
// Ownership: created with Connection::Adopt/Open, it owns its stream; Close() starts libuv's
// close and the object deletes itself in close_cb, after calling on_closed once. Callbacks run on
// the loop thread only and must not throw. After Close(), no on_frame is delivered.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <uv.h>

#include "ipc/frame.h"

namespace ssrd::ipc {

class Connection {
 public:
  struct Callbacks {
    // One whole frame payload. May call Close() or Write().
    std::function<void(Connection&, std::string&& payload)> on_frame;
    // A header announced a frame over the limit; the connection closes after this returns.
    std::function<void(Connection&, std::uint32_t announced)> on_too_large;
    // Called once, from close_cb, whatever closed it (peer EOF, error, Close()).
    std::function<void(Connection&)> on_closed;
  };

  // Takes an initialised uv_pipe_t* or uv_tcp_t* (allocated with new, deleted as its own type)
  // that is already connected/accepted, and starts reading. The Connection owns it from here on.
  static Connection* Adopt(uv_stream_t* stream, std::size_t max_frame_bytes, Callbacks callbacks);
  static Connection* Adopt(uv_pipe_t* pipe, std::size_t max_frame_bytes, Callbacks callbacks) {
    return Adopt(reinterpret_cast<uv_stream_t*>(pipe), max_frame_bytes, std::move(callbacks));
  }
  static Connection* Adopt(uv_tcp_t* tcp, std::size_t max_frame_bytes, Callbacks callbacks) {
    return Adopt(reinterpret_cast<uv_stream_t*>(tcp), max_frame_bytes, std::move(callbacks));
  }
  // Wraps an existing fd (e.g. a socketpair end) on `loop`. Returns nullptr when uv_pipe_open fails.
  static Connection* Open(uv_loop_t* loop, int fd, std::size_t max_frame_bytes, Callbacks callbacks);

  // Queues one already-framed buffer (header included). Ignored after Close().
  void WriteFramed(std::string framed);
  // Queues one payload, framing it.
  void Write(std::string_view payload);

  // Closes after the queued writes are flushed (graceful = true) or at once.
  void Close(bool graceful = false);
  bool closing() const { return closing_; }

  std::size_t pending_write_bytes() const { return pending_write_bytes_; }
  // Writes handed to libuv so far, each one writev() of every frame queued in a turn (tests).
  std::size_t writes_issued() const { return writes_issued_; }
  // Reads that brought bytes, on every Connection of the process: a loop that polls before it
  // sleeps (pool/busy_poll.h) watches it to tell a busy turn from an idle one.
  static std::uint64_t reads_total() { return reads_total_.load(std::memory_order_relaxed); }
  void* user_data = nullptr;  // owner's tag, untouched by Connection

  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

 private:
  Connection(uv_stream_t* stream, std::size_t max_frame_bytes, Callbacks callbacks);
  ~Connection() = default;
  void StartReading();
  void OnRead(ssize_t nread, const uv_buf_t* buf) noexcept;
  void StartClose() noexcept;
  // Hands the frames queued this turn to libuv as one write.
  void Flush() noexcept;
  static void FlushCb(uv_handle_t* h) noexcept;
  static void AllocCb(uv_handle_t* h, std::size_t suggested, uv_buf_t* buf) noexcept;
  static void ReadCb(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) noexcept;
  static void WriteCb(uv_write_t* req, int status) noexcept;
  static void ShutdownCb(uv_shutdown_t* req, int status) noexcept;
  static void CloseCb(uv_handle_t* h) noexcept;

  uv_stream_t* stream_;
  FrameDecoder decoder_;
  Callbacks callbacks_;
  std::string read_buffer_;
  std::size_t pending_write_bytes_ = 0;  // queued here or in libuv, not yet written
  std::vector<std::string> outbox_;       // frames queued this turn
  uv_prepare_t* prepare_ = nullptr;       // flush points; freed by their own close callbacks
  uv_check_t* check_ = nullptr;
  bool flush_armed_ = false;
  std::size_t writes_issued_ = 0;
  static inline std::atomic<std::uint64_t> reads_total_{0};
  bool closing_ = false;
  bool close_when_flushed_ = false;
};

}  // namespace ssrd::ipc
