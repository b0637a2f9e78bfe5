#include "tools/ssrctl/exchange.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "ipc/frame.h"

namespace ssrd::ssrctl {
namespace {

using ipc::ErrorCode;
using ipc::MakeError;
using Clock = std::chrono::steady_clock;

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

int MillisLeft(Clock::time_point deadline) {
  auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::clamp<long long>(left, 0, 1 << 30));
}

// Waits until fd is ready for `events` or the deadline passes. Returns 0 or an errno value.
int WaitFor(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, MillisLeft(deadline));
    if (n > 0) return 0;
    if (n == 0) return ETIMEDOUT;
    if (errno != EINTR) return errno;
  }
}

ipc::Result<void> Connect(int fd, const std::string& path, Clock::time_point deadline) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(addr.sun_path)) {
    return MakeError(ErrorCode::kUnavailable, "invalid socket path '" + path + "'");
  }
  std::memcpy(addr.sun_path, path.data(), path.size());
  auto fail = [&path](int err) {
    return MakeError(ErrorCode::kUnavailable,
                     "cannot connect to " + path + ": " + std::strerror(err));
  };
  for (;;) {
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0) return {};
    int err = errno;
    if (err == EINTR) continue;
    // A Unix socket whose listen backlog is full answers EAGAIN, not EINPROGRESS: try again.
    if (err == EAGAIN && Clock::now() < deadline) {
      ::poll(nullptr, 0, 2);
      continue;
    }
    if (err != EINPROGRESS) return fail(err == EAGAIN ? ETIMEDOUT : err);
    if (int w = WaitFor(fd, POLLOUT, deadline); w != 0) return fail(w);
    int so_error = 0;
    socklen_t len = sizeof(so_error);
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len);
    return so_error == 0 ? ipc::Result<void>{} : fail(so_error);
  }
}

}  // namespace

ipc::Result<ipc::Reply> Exchange(const std::string& socket_path, const ipc::Request& request,
                                 std::chrono::milliseconds timeout, const ChunkFn& on_chunk) {
  const Clock::time_point deadline = Clock::now() + timeout;
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (fd.get() < 0) {
    return MakeError(ErrorCode::kUnavailable, std::string("socket: ") + std::strerror(errno));
  }
  if (auto connected = Connect(fd.get(), socket_path, deadline); !connected.ok()) {
    return connected.error();
  }
  auto lost = [&socket_path](int err) {
    return MakeError(ErrorCode::kUnavailable,
                     "connection to " + socket_path + " failed: " + std::strerror(err));
  };
  auto timed_out = [timeout] {
    return MakeError(ErrorCode::kTimeout,
                     "no reply within " + std::to_string(timeout.count()) + " ms");
  };

  std::string frame;
  ipc::EncodeRequest(request, &frame);
  for (std::size_t sent = 0; sent < frame.size();) {
    ssize_t n = ::send(fd.get(), frame.data() + sent, frame.size() - sent, MSG_NOSIGNAL);
    if (n >= 0) {
      sent += static_cast<std::size_t>(n);
      continue;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN) return lost(errno);
    if (int w = WaitFor(fd.get(), POLLOUT, deadline); w != 0) {
      return w == ETIMEDOUT ? timed_out() : lost(w);
    }
  }

  ipc::FrameDecoder decoder;
  std::string payload;
  char buffer[16384];
  for (;;) {
    switch (decoder.Next(&payload)) {
      case ipc::FrameDecoder::Status::kFrame: {
        ipc::Result<ipc::Reply> reply = ipc::DecodeReply(payload);
        if (!reply.ok()) return reply.error();
        if (reply->id != request.id) continue;  // not ours (the daemon sends none such today)
        if (reply->chunk) {
          if (on_chunk) on_chunk(std::move(reply->html));
          continue;
        }
        return reply;
      }
      case ipc::FrameDecoder::Status::kTooLarge:
        return MakeError(ErrorCode::kTooLarge, "the reply announced " +
                                                   std::to_string(decoder.rejected_length()) +
                                                   " bytes");
      case ipc::FrameDecoder::Status::kNeedMore:
        break;
    }
    if (int w = WaitFor(fd.get(), POLLIN, deadline); w != 0) {
      return w == ETIMEDOUT ? timed_out() : lost(w);
    }
    ssize_t n = ::recv(fd.get(), buffer, sizeof(buffer), 0);
    if (n == 0) {
      return MakeError(ErrorCode::kUnavailable,
                       "the daemon at " + socket_path + " closed the connection");
    }
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return lost(errno);
    }
    decoder.Feed(buffer, static_cast<std::size_t>(n));
  }
}

}  // namespace ssrd::ssrctl
