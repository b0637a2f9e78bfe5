#include "ipc/fd_io.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ssrd::ipc {
namespace {

Error ErrnoError(std::string_view what, int err) {
  std::string message(what);
  message += ": ";
  message += std::strerror(err);
  return MakeError(ErrorCode::kUnavailable, std::move(message));
}

// Waits until fd is ready for `events`; only needed when someone handed us a non-blocking fd.
void WaitFor(int fd, short events) {
  pollfd p{fd, events, 0};
  while (::poll(&p, 1, -1) < 0 && errno == EINTR) {
  }
}

}  // namespace

Result<void> WriteAll(int fd, std::string_view bytes) {
  bool is_socket = true;
  while (!bytes.empty()) {
    // send(MSG_NOSIGNAL) so that a vanished peer is an EPIPE result, not a process-killing SIGPIPE.
    const ssize_t n = is_socket ? ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL)
                                : ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == ENOTSOCK && is_socket) {
        is_socket = false;
        continue;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        WaitFor(fd, POLLOUT);
        continue;
      }
      return ErrnoError("write failed", errno);
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

Result<void> ReadFrame(int fd, FrameDecoder* decoder, std::string* payload) {
  char buffer[64 * 1024];
  for (;;) {
    switch (decoder->Next(payload)) {
      case FrameDecoder::Status::kFrame: return {};
      case FrameDecoder::Status::kTooLarge:
        return MakeError(ErrorCode::kTooLarge, "frame of " +
                                                   std::to_string(decoder->rejected_length()) +
                                                   " bytes is over the size limit");
      case FrameDecoder::Status::kNeedMore: break;
    }
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        WaitFor(fd, POLLIN);
        continue;
      }
      return ErrnoError("read failed", errno);
    }
    if (n == 0) {
      return MakeError(ErrorCode::kUnavailable, decoder->buffered() > 0
                                                    ? "connection closed in the middle of a frame"
                                                    : "connection closed");
    }
    decoder->Feed(buffer, static_cast<std::size_t>(n));
  }
}

}  // namespace ssrd::ipc
