#include "clients/cpp/mux_connection.h"

#include <cerrno>
#include <cstring>
#include <utility>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace ssrd::client::detail {
namespace {

using ipc::ErrorCode;
using ipc::MakeError;

std::string Errno(int err) { return std::strerror(err); }

timeval ToTimeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

// A Unix-socket connect() fails with EAGAIN (not EINPROGRESS) when the listener's backlog is
// full, so it is retried until the deadline rather than polled.
ipc::Result<int> ConnectUnix(const std::string& path, std::chrono::milliseconds timeout) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(addr.sun_path)) {
    return MakeError(ErrorCode::kUnavailable, "invalid socket path '" + path + "'");
  }
  std::memcpy(addr.sun_path, path.data(), path.size());

  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return MakeError(ErrorCode::kUnavailable, "socket: " + Errno(errno));
  auto fail = [&](int err) {
    ::close(fd);
    return MakeError(ErrorCode::kUnavailable, "cannot connect to " + path + ": " + Errno(err));
  };
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0) break;
    int err = errno;
    if (err == EINTR) continue;
    if (err == EAGAIN && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      continue;
    }
    if (err != EINPROGRESS) return fail(err == EAGAIN ? ETIMEDOUT : err);
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{fd, POLLOUT, 0};
    int n = ::poll(&p, 1, static_cast<int>(std::max<long long>(0, left.count())));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail(n == 0 ? ETIMEDOUT : errno);
    int so_error = 0;
    socklen_t len = sizeof(so_error);
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len);
    if (so_error != 0) return fail(so_error);
    break;
  }
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) return fail(errno);
  return fd;
}

}  // namespace

ipc::Result<std::shared_ptr<MuxConnection>> MuxConnection::Open(
    const std::string& socket_path, std::chrono::milliseconds connect_timeout,
    std::chrono::milliseconds send_timeout, std::size_t max_frame_bytes) {
  auto fd = ConnectUnix(socket_path, connect_timeout);
  if (!fd) return fd.error();
  // A daemon that stops reading must not block a writer (and every caller queued on the write
  // lock) forever: a send that stalls this long drops the connection.
  timeval tv = ToTimeval(send_timeout);
  ::setsockopt(*fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  std::shared_ptr<MuxConnection> conn(new MuxConnection(*fd, socket_path, max_frame_bytes));
  conn->reader_ = std::thread([raw = conn.get()] { raw->ReadLoop(); });
  return conn;
}

MuxConnection::MuxConnection(int fd, std::string socket_path, std::size_t max_frame_bytes)
    : fd_(fd),
      owner_pid_(::getpid()),
      socket_path_(std::move(socket_path)),
      max_frame_bytes_(max_frame_bytes) {}

MuxConnection::~MuxConnection() {
  int fd = fd_.load();
  if (fd >= 0) ::shutdown(fd, SHUT_RDWR);  // wakes the reader's read() with EOF
  if (reader_.joinable()) reader_.join();
  fd = fd_.exchange(-1);
  if (fd >= 0) ::close(fd);
}

void MuxConnection::AbandonAfterFork() {
  int fd = fd_.exchange(-1);
  if (fd >= 0) ::close(fd);
}

bool MuxConnection::dead() const {
  std::lock_guard<std::mutex> lock(mu_);
  return dead_;
}

ipc::Result<void> MuxConnection::WriteFrame(std::string_view frame) {
  // Not ipc::WriteAll: it waits without bound when the socket buffer is full, while the client
  // must give up after SO_SNDTIMEO (EAGAIN here). MSG_NOSIGNAL: a vanished daemon is EPIPE, not
  // a SIGPIPE that kills the host process.
  std::lock_guard<std::mutex> lock(write_mu_);
  int fd = fd_.load();
  std::size_t done = 0;
  while (done < frame.size()) {
    ssize_t n = ::send(fd, frame.data() + done, frame.size() - done, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = (errno == EAGAIN || errno == EWOULDBLOCK) ? ETIMEDOUT : errno;
      return MakeError(ErrorCode::kUnavailable, "write to " + socket_path_ + ": " + Errno(err));
    }
    done += static_cast<std::size_t>(n);
  }
  return {};
}

ipc::Result<ipc::Reply> MuxConnection::Call(std::uint64_t id, std::string_view frame,
                                            Clock::time_point deadline, bool* not_sent) {
  *not_sent = false;
  auto slot = std::make_shared<Slot>();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (dead_) {
      *not_sent = true;
      return MakeError(ErrorCode::kUnavailable, dead_reason_);
    }
    pending_.emplace(id, slot);
  }
  if (auto w = WriteFrame(frame); !w) {
    // Part of the frame may be on the wire: the stream is no longer in sync, drop it.
    MarkDead(w.error().message);
    *not_sent = true;
    return w.error();
  }
  std::unique_lock<std::mutex> lock(mu_);
  if (!slot->cv.wait_until(lock, deadline, [&] { return slot->result.has_value(); })) {
    pending_.erase(id);  // a late reply finds no slot and is dropped
    return MakeError(ErrorCode::kTimeout, "no reply before the deadline");  // caller words it
  }
  return std::move(*slot->result);
}

void MuxConnection::SendOnly(std::string_view frame) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (dead_) return;
  }
  if (auto w = WriteFrame(frame); !w) MarkDead(w.error().message);
}

void MuxConnection::MarkDead(const std::string& reason) {
  std::lock_guard<std::mutex> lock(mu_);
  if (dead_) return;
  dead_ = true;
  dead_reason_ = "connection to " + socket_path_ + " lost: " + reason;
  if (!daemon_error_.empty()) dead_reason_ += " (daemon said " + daemon_error_ + ")";
  for (auto& [id, slot] : pending_) {
    slot->result.emplace(MakeError(ErrorCode::kUnavailable, dead_reason_));
    slot->cv.notify_one();
  }
  pending_.clear();
  int fd = fd_.load();
  if (fd >= 0 && ::getpid() == owner_pid_) ::shutdown(fd, SHUT_RDWR);
}

bool MuxConnection::Deliver(std::string_view payload) {
  auto reply = ipc::DecodeReply(payload);
  std::lock_guard<std::mutex> lock(mu_);
  if (!reply) {
    auto id = ipc::PeekReplyId(payload);
    auto it = id ? pending_.find(*id) : pending_.end();
    if (it == pending_.end()) return false;
    it->second->result.emplace(reply.error());
    it->second->cv.notify_one();
    pending_.erase(it);
    return true;
  }
  auto it = pending_.find(reply->id);
  if (it == pending_.end()) {
    // Id 0 carries a connection-level error (e.g. a frame the daemon could not read); the daemon
    // closes the connection next, and the waiting calls learn why. Other unknown ids are late
    // replies to calls that timed out.
    if (reply->id == 0 && reply->error) daemon_error_ = reply->error->ToString();
    return true;
  }
  it->second->result.emplace(std::move(reply).value());
  it->second->cv.notify_one();
  pending_.erase(it);
  return true;
}

void MuxConnection::ReadLoop() noexcept {
  ipc::FrameDecoder decoder(max_frame_bytes_);
  std::string payload;
  std::string buffer(64 * 1024, '\0');
  for (;;) {
    ssize_t n = ::read(fd_.load(), buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      MarkDead(n == 0 ? "connection closed by the daemon" : "read: " + Errno(errno));
      return;
    }
    decoder.Feed(buffer.data(), static_cast<std::size_t>(n));
    for (;;) {
      auto status = decoder.Next(&payload);
      if (status == ipc::FrameDecoder::Status::kNeedMore) break;
      if (status == ipc::FrameDecoder::Status::kTooLarge) {
        MarkDead("reply of " + std::to_string(decoder.rejected_length()) +
                 " bytes exceeds the limit of " + std::to_string(max_frame_bytes_) + " bytes");
        return;
      }
      if (!Deliver(payload)) {
        MarkDead("undecodable reply from the daemon");
        return;
      }
    }
  }
}

}  // namespace ssrd::client::detail
