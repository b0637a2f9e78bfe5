// Raw protocol access for tests that must send what no well-behaved client sends (pipelined
// bursts, malformed frames). Every read is bounded by a deadline.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "ipc/error.h"
#include "ipc/frame.h"
#include "ipc/message.h"

namespace ssrd::testing {

// An fd connected to the daemon's socket; closed on destruction.
class RawConnection {
 public:
  static ipc::Result<RawConnection> Connect(const std::string& socket_path);
  // To a TCP listener: `ip` is a literal ("127.0.0.1", "::1").
  static ipc::Result<RawConnection> ConnectTcp(const std::string& ip, int port);
  RawConnection(RawConnection&& other) noexcept;
  RawConnection& operator=(RawConnection&&) = delete;
  ~RawConnection();

  int fd() const { return fd_; }
  // Writes all bytes; fails instead of blocking past 30 s.
  ipc::Result<void> Write(std::string_view bytes);
  // The next frame's payload, or an error: kUnavailable at end of file, kTimeout past the bound.
  ipc::Result<std::string> ReadFrame(std::chrono::milliseconds bound);
  // True when the daemon closed the connection (EOF or reset) within the bound, ignoring any
  // further frames it sent first.
  bool WaitForClose(std::chrono::milliseconds bound);

 private:
  explicit RawConnection(int fd) : fd_(fd) {}
  int fd_ = -1;
  ipc::FrameDecoder decoder_{64u * 1024 * 1024};
};

}  // namespace ssrd::testing
