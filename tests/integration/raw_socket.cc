#include "tests/integration/raw_socket.h"

#include <cerrno>
#include <cstring>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace ssrd::testing {

using ipc::ErrorCode;
using ipc::MakeError;

ipc::Result<RawConnection> RawConnection::Connect(const std::string& socket_path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, socket_path.c_str(), sizeof(addr.sun_path) - 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    int err = errno;
    ::close(fd);
    return MakeError(ErrorCode::kUnavailable, "connect " + socket_path + ": " + std::strerror(err));
  }
  timeval tv{30, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  return RawConnection(fd);
}

ipc::Result<RawConnection> RawConnection::ConnectTcp(const std::string& ip, int port) {
  sockaddr_storage address{};
  socklen_t length = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
  if (::inet_pton(AF_INET, ip.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<std::uint16_t>(port));
    length = sizeof(*v4);
  } else if (::inet_pton(AF_INET6, ip.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<std::uint16_t>(port));
    length = sizeof(*v6);
  } else {
    return MakeError(ErrorCode::kBadRequest, "not an IP address: " + ip);
  }
  int fd = ::socket(address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), length) != 0) {
    int err = errno;
    ::close(fd);
    return MakeError(ErrorCode::kUnavailable,
                     "connect " + ip + " port " + std::to_string(port) + ": " + std::strerror(err));
  }
  timeval tv{30, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  return RawConnection(fd);
}

RawConnection::RawConnection(RawConnection&& other) noexcept
    : fd_(other.fd_), decoder_(std::move(other.decoder_)) {
  other.fd_ = -1;
}

RawConnection::~RawConnection() {
  if (fd_ >= 0) ::close(fd_);
}

ipc::Result<void> RawConnection::Write(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return MakeError(ErrorCode::kUnavailable, std::string("send: ") + std::strerror(errno));
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

ipc::Result<std::string> RawConnection::ReadFrame(std::chrono::milliseconds bound) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  std::string payload;
  char buffer[64 * 1024];
  for (;;) {
    switch (decoder_.Next(&payload)) {
      case ipc::FrameDecoder::Status::kFrame:
        return payload;
      case ipc::FrameDecoder::Status::kTooLarge:
        return MakeError(ErrorCode::kTooLarge, "daemon sent an oversized frame");
      case ipc::FrameDecoder::Status::kNeedMore:
        break;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return MakeError(ErrorCode::kTimeout, "no frame within the bound");
    pollfd p{fd_, POLLIN, 0};
    int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;  // the deadline check above ends it
    ssize_t n = ::read(fd_, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return MakeError(ErrorCode::kUnavailable, std::string("read: ") + std::strerror(errno));
    if (n == 0) return MakeError(ErrorCode::kUnavailable, "connection closed");
    decoder_.Feed(buffer, static_cast<std::size_t>(n));
  }
}

bool RawConnection::WaitForClose(std::chrono::milliseconds bound) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  for (;;) {
    auto frame = ReadFrame(std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now()));
    if (frame) continue;
    return frame.error().code == ErrorCode::kUnavailable;
  }
}

}  // namespace ssrd::testing
