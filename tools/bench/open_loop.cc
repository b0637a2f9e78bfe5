#include "tools/bench/open_loop.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <thread>
#include <utility>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ipc/frame.h"
#include "ipc/message.h"

namespace ssrd::bench {
namespace {

using Clock = std::chrono::steady_clock;
using ipc::ErrorCode;
using ipc::MakeError;

std::int64_t Nanos(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

ipc::Result<int> ConnectUnix(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof address.sun_path) {
    return MakeError(ErrorCode::kBadRequest, "socket path too long: " + path);
  }
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return MakeError(ErrorCode::kUnavailable, std::string("socket: ") + std::strerror(errno));
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    const int saved = errno;
    ::close(fd);
    return MakeError(ErrorCode::kUnavailable, path + ": " + std::strerror(saved));
  }
  return fd;
}

// Writes every byte, waiting for room in the socket's buffer at most until `deadline` (a server
// that stops reading must not hang the run). False: the peer is gone or the deadline passed.
bool WriteBefore(int fd, const std::string& bytes, Clock::time_point deadline) {
  std::size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + written, bytes.size() - written,
                             MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      written += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (Clock::now() >= deadline) return false;
      pollfd p{fd, POLLOUT, 0};
      ::poll(&p, 1, 10);
      continue;
    }
    return false;
  }
  return true;
}

std::size_t RingSizeFor(int max_outstanding) {
  std::size_t size = 1024;
  while (size < 2 * static_cast<std::size_t>(max_outstanding)) size *= 2;
  return size;
}

}  // namespace

struct OpenLoop::Impl {
  struct Conn {
    int fd = -1;
    std::size_t mask = 0;
    // Send time (steady clock, ns) of request id, at id & mask. Outstanding requests stay under
    // half the ring, so an entry is overwritten only by a request sent long after its own (one
    // left waiting while more than the ring's size of later ones were answered).
    std::unique_ptr<std::atomic<std::int64_t>[]> sent_at;
    std::atomic<std::int64_t> outstanding{0};
    std::atomic<bool> reader_done{false};
    std::thread sender, reader;
    // The sender's own.
    std::uint64_t sent = 0, sent_measured = 0, unsent = 0;
    bool send_failed = false;
    // The reader's own.
    std::uint64_t ok = 0;
    std::map<std::string, std::uint64_t> errors;
    std::vector<std::uint32_t> micros;
    Clock::time_point last_in_window{};
  };

  OpenLoopOptions o;
  std::string props_msgpack;
  std::vector<std::unique_ptr<Conn>> conns;
  std::atomic<long long> tickets{0};
  std::atomic<bool> exhausted{false};  // max_requests reached
  std::atomic<bool> stop_readers{false};
  bool finished = false;

  void Send(Conn& c) {
    ipc::Request request;
    request.op = ipc::Op::kRender;
    request.component = o.component;
    request.props_msgpack = props_msgpack;
    const double per_second = o.rate / o.connections;
    const auto begin = Clock::now();
    const auto write_deadline = o.measure_end + std::chrono::seconds(2);
    std::uint64_t issued = 0;  // requests that fell due: sent or unsent
    std::uint64_t next_id = 0;
    std::string batch;
    for (;;) {
      const auto now = Clock::now();
      if (now >= o.measure_end) break;
      // The first request at once, then one every 1 / per_second.
      const auto due = static_cast<std::uint64_t>(
                           std::chrono::duration<double>(now - begin).count() * per_second) + 1;
      batch.clear();
      bool last = false;
      while (issued < due) {
        ++issued;
        if (c.outstanding.load(std::memory_order_relaxed) >= o.max_outstanding) {
          ++c.unsent;
          continue;
        }
        if (o.max_requests > 0 && tickets.fetch_add(1) >= o.max_requests) {
          exhausted.store(true);
          last = true;
          break;
        }
        request.id = ++next_id;
        c.sent_at[request.id & c.mask].store(Nanos(now), std::memory_order_relaxed);
        c.outstanding.fetch_add(1);
        ipc::EncodeRequest(request, &batch);
        ++c.sent;
        if (now >= o.measure_start) ++c.sent_measured;
      }
      if (!batch.empty() && !WriteBefore(c.fd, batch, write_deadline)) {
        c.send_failed = true;
        break;
      }
      if (last || exhausted.load()) break;
      // Sleep until the next request is due, but at least half a millisecond: at tens of
      // thousands a second, requests go out in small batches rather than one wake-up each.
      const auto next_due = begin + std::chrono::duration_cast<Clock::duration>(
                                        std::chrono::duration<double>(issued / per_second));
      std::this_thread::sleep_until(
          std::min(std::max(next_due, Clock::now() + std::chrono::microseconds(500)), o.measure_end));
    }
  }

  void Receive(Conn& c) {
    ipc::FrameDecoder decoder;
    std::vector<char> chunk(256 * 1024);
    std::string payload;
    c.micros.reserve(1 << 16);
    while (!stop_readers.load()) {
      pollfd p{c.fd, POLLIN, 0};
      const int ready = ::poll(&p, 1, 50);
      if (ready == 0) continue;
      if (ready < 0) {
        if (errno == EINTR) continue;
        break;
      }
      const ssize_t n = ::read(c.fd, chunk.data(), chunk.size());
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n <= 0) break;
      decoder.Feed(chunk.data(), static_cast<std::size_t>(n));
      const auto now = Clock::now();
      const bool in_window = now >= o.measure_start && now <= o.measure_end;
      ipc::FrameDecoder::Status status;
      while ((status = decoder.Next(&payload)) == ipc::FrameDecoder::Status::kFrame) {
        c.outstanding.fetch_sub(1);
        auto reply = ipc::DecodeReply(payload);
        std::string code;
        if (!reply) {
          code = "bad_reply";
        } else if (!reply->ok()) {
          code = std::string(ipc::ErrorCodeName(reply->error->code));
        } else {
          code = std::string(o.check.Check(reply->html));
        }
        if (!in_window) continue;
        c.last_in_window = now;
        if (!code.empty()) {
          ++c.errors[code];
          continue;
        }
        ++c.ok;
        const std::int64_t sent = c.sent_at[reply->id & c.mask].load(std::memory_order_relaxed);
        c.micros.push_back(static_cast<std::uint32_t>(
            std::clamp<std::int64_t>((Nanos(now) - sent) / 1000, 0, UINT32_MAX)));
      }
      if (status == ipc::FrameDecoder::Status::kTooLarge) break;
    }
    c.reader_done.store(true);
  }
};

OpenLoop::OpenLoop(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

OpenLoop::~OpenLoop() {
  if (!impl_->finished) Finish();
}

ipc::Result<std::unique_ptr<OpenLoop>> OpenLoop::Start(OpenLoopOptions options) {
  if (options.rate <= 0 || options.connections <= 0 || options.max_outstanding <= 0) {
    return MakeError(ErrorCode::kBadRequest, "open loop: rate, connections and outstanding must be > 0");
  }
  auto props = ipc::JsonToMsgpack(options.props_json);
  if (!props) return props.error();
  auto impl = std::make_unique<Impl>();
  impl->o = std::move(options);
  impl->props_msgpack = std::move(props).value();
  const std::size_t ring = RingSizeFor(impl->o.max_outstanding);
  for (int i = 0; i < impl->o.connections; ++i) {
    auto fd = ConnectUnix(impl->o.socket_path);
    if (!fd) {
      for (auto& c : impl->conns) ::close(c->fd);
      return fd.error();
    }
    auto c = std::make_unique<Impl::Conn>();
    c->fd = *fd;
    c->mask = ring - 1;
    c->sent_at.reset(new std::atomic<std::int64_t>[ring]());
    impl->conns.push_back(std::move(c));
  }
  Impl* raw = impl.get();
  for (auto& c : raw->conns) {
    Impl::Conn* conn = c.get();
    conn->reader = std::thread([raw, conn] { raw->Receive(*conn); });
    conn->sender = std::thread([raw, conn] { raw->Send(*conn); });
  }
  return std::unique_ptr<OpenLoop>(new OpenLoop(std::move(impl)));
}

OpenLoopResult OpenLoop::Finish() {
  Impl& m = *impl_;
  m.finished = true;
  for (auto& c : m.conns) c->sender.join();
  const auto give_up = Clock::now() + m.o.drain;
  auto owed = [&] {
    std::int64_t total = 0;
    for (auto& c : m.conns) {
      if (!c->reader_done.load()) total += std::max<std::int64_t>(0, c->outstanding.load());
    }
    return total;
  };
  while (owed() > 0 && Clock::now() < give_up) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  m.stop_readers.store(true);
  OpenLoopResult r;
  auto last = m.o.measure_start;
  for (auto& c : m.conns) {
    ::shutdown(c->fd, SHUT_RDWR);
    c->reader.join();
    ::close(c->fd);
    r.sent += c->sent;
    r.sent_measured += c->sent_measured;
    r.unsent += c->unsent;
    r.ok += c->ok;
    for (const auto& [code, n] : c->errors) r.errors[code] += n;
    if (c->send_failed) ++r.errors["io"];
    r.unanswered += static_cast<std::uint64_t>(std::max<std::int64_t>(0, c->outstanding.load()));
    r.micros.insert(r.micros.end(), c->micros.begin(), c->micros.end());
    last = std::max(last, c->last_in_window);
  }
  // With max_requests the sends may end before the window; the rate is over the time it took.
  const auto end = (m.exhausted.load() && last < m.o.measure_end) ? last : m.o.measure_end;
  r.seconds = std::max(1e-9, std::chrono::duration<double>(end - m.o.measure_start).count());
  return r;
}

}  // namespace ssrd::bench
