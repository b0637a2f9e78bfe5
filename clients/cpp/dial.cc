#include "clients/cpp/dial.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ipc/frame.h"
#include "ipc/message.h"

namespace ssrd::client::detail {
namespace {

using Clock = std::chrono::steady_clock;
using ipc::ErrorCode;
using ipc::MakeError;

constexpr std::string_view kTcpScheme = "tcp://";

std::string Errno(int err) { return std::strerror(err); }

int MillisLeft(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::max<long long>(0, left.count()));
}

// Connects the non-blocking `fd` to `addr` by the deadline and makes it blocking again; on
// failure returns the errno and leaves `fd` to the caller. A Unix-socket connect() fails with
// EAGAIN (not EINPROGRESS) when the listener's backlog is full, so that is retried.
int ConnectBy(int fd, const sockaddr* addr, socklen_t len, Clock::time_point deadline) {
  for (;;) {
    if (::connect(fd, addr, len) == 0) break;
    int err = errno;
    if (err == EINTR) continue;
    if (err == EAGAIN && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      continue;
    }
    if (err != EINPROGRESS) return err == EAGAIN ? ETIMEDOUT : err;
    pollfd p{fd, POLLOUT, 0};
    int n = ::poll(&p, 1, MillisLeft(deadline));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return n == 0 ? ETIMEDOUT : errno;
    int so_error = 0;
    socklen_t so_len = sizeof(so_error);
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &so_len);
    if (so_error != 0) return so_error;
    break;
  }
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) return errno;
  return 0;
}

ipc::Result<int> ConnectUnix(const std::string& path, std::chrono::milliseconds timeout) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(addr.sun_path)) {
    return MakeError(ErrorCode::kUnavailable, "invalid socket path '" + path + "'");
  }
  std::memcpy(addr.sun_path, path.data(), path.size());
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return MakeError(ErrorCode::kUnavailable, "socket: " + Errno(errno));
  if (int err = ConnectBy(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr),
                          Clock::now() + timeout);
      err != 0) {
    ::close(fd);
    return MakeError(ErrorCode::kUnavailable, "cannot connect to " + path + ": " + Errno(err));
  }
  return fd;
}

// "tcp://host:port", "tcp://[::1]:port" -> host and port; false when it is not that.
bool SplitTcpAddress(const std::string& address, std::string* host, std::string* port) {
  std::string rest = address.substr(kTcpScheme.size());
  std::size_t colon = rest.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 >= rest.size()) return false;
  *host = rest.substr(0, colon);
  *port = rest.substr(colon + 1);
  if (port->find_first_not_of("0123456789") != std::string::npos) return false;
  if (host->front() == '[') {
    if (host->size() < 3 || host->back() != ']') return false;
    *host = host->substr(1, host->size() - 2);
  }
  return true;
}

ipc::Result<int> ConnectTcp(const std::string& address, std::chrono::milliseconds timeout) {
  std::string host, port;
  if (!SplitTcpAddress(address, &host, &port)) {
    return MakeError(ErrorCode::kBadRequest,
                     "invalid address '" + address + "': expected tcp://HOST:PORT or "
                     "tcp://[IPv6]:PORT");
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    return MakeError(ErrorCode::kUnavailable,
                     "cannot connect to " + address + ": " + ::gai_strerror(rc));
  }
  const auto deadline = Clock::now() + timeout;
  int last_error = EADDRNOTAVAIL;
  int fd = -1;
  for (addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
      last_error = errno;
      continue;
    }
    if (int err = ConnectBy(fd, a->ai_addr, a->ai_addrlen, deadline); err != 0) {
      last_error = err;
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(found);
  if (fd < 0) {
    return MakeError(ErrorCode::kUnavailable,
                     "cannot connect to " + address + ": " + Errno(last_error));
  }
  // Each frame leaves in one send(): Nagle would only hold a request back for an earlier ack.
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

// Reads exactly `size` bytes by the deadline; "" on success, else why not.
std::string ReadExactly(int fd, char* out, std::size_t size, Clock::time_point deadline) {
  std::size_t got = 0;
  while (got < size) {
    pollfd p{fd, POLLIN, 0};
    int n = ::poll(&p, 1, MillisLeft(deadline));
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) return "timeout";
    if (n < 0) return Errno(errno);
    ssize_t r = ::read(fd, out + got, size - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return Errno(errno);
    if (r == 0) return "connection closed by the daemon";
    got += static_cast<std::size_t>(r);
  }
  return {};
}

}  // namespace

ipc::Result<int> Dial(const std::string& address, std::chrono::milliseconds timeout) {
  if (address.compare(0, kTcpScheme.size(), kTcpScheme) == 0) return ConnectTcp(address, timeout);
  return ConnectUnix(address, timeout);
}

ipc::Result<void> Authenticate(int fd, const std::string& token, std::chrono::milliseconds timeout,
                               std::size_t max_frame_bytes) {
  const auto deadline = Clock::now() + timeout;
  ipc::Request auth;
  auth.id = 0;  // before any call: no other reply can be confused with this one
  auth.op = ipc::Op::kAuth;
  auth.token = token;
  std::string frame;
  ipc::EncodeRequest(auth, &frame);
  std::size_t sent = 0;
  while (sent < frame.size()) {
    ssize_t n = ::send(fd, frame.data() + sent, frame.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return MakeError(ErrorCode::kUnavailable, "sending auth: " + Errno(errno));
    sent += static_cast<std::size_t>(n);
  }
  char header[ipc::kFrameHeaderBytes];
  std::string why = ReadExactly(fd, header, sizeof header, deadline);
  std::uint32_t length = 0;
  if (why.empty()) {
    for (char c : header) length = (length << 8) | static_cast<unsigned char>(c);
    if (length > max_frame_bytes) why = "reply of " + std::to_string(length) + " bytes";
  }
  std::string payload(length, '\0');
  if (why.empty()) why = ReadExactly(fd, payload.data(), length, deadline);
  if (why == "timeout") {
    return MakeError(ErrorCode::kTimeout,
                     "no reply to auth within " + std::to_string(timeout.count()) + " ms");
  }
  if (!why.empty()) return MakeError(ErrorCode::kUnavailable, "authenticating: " + why);
  auto reply = ipc::DecodeReply(payload);
  if (!reply) return MakeError(ErrorCode::kUnavailable, "authenticating: " + reply.error().message);
  if (reply->error) return *reply->error;
  return {};
}

}  // namespace ssrd::client::detail
