#include "worker/channel_reader.h"

#include <poll.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include <spdlog/spdlog.h>

namespace ssrd::worker {
namespace {

constexpr std::size_t kReadBytes = 64 * 1024;

std::string Errno(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

}  // namespace

ChannelReader::ChannelReader(int fd, RenderWatchdog* watchdog,
                             std::chrono::microseconds busy_poll)
    : fd_(fd),
      busy_poll_(busy_poll),
      watchdog_(watchdog),
      epoll_fd_(epoll_create1(EPOLL_CLOEXEC)),
      stop_fd_(eventfd(0, EFD_CLOEXEC)) {
  epoll_event stop{};
  stop.events = EPOLLIN;
  stop.data.fd = stop_fd_;
  epoll_event channel{};
  channel.events = EPOLLONESHOT;  // registered disarmed: BeginRender() arms it
  channel.data.fd = fd_;
  std::string setup_error;
  if (epoll_fd_ < 0 || stop_fd_ < 0) {
    setup_error = Errno("cannot create the channel watch");
  } else if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, stop_fd_, &stop) != 0 ||
             epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd_, &channel) != 0) {
    setup_error = Errno("cannot watch the channel");
  }
  if (!setup_error.empty()) {
    std::lock_guard<std::mutex> lock(mutex_);
    CloseLocked(std::move(setup_error));
    return;  // no helper: Next() reports the error
  }
  helper_ = std::thread([this] { RunHelper(); });
}

ChannelReader::~ChannelReader() {
  if (helper_.joinable()) {
    std::uint64_t one = 1;
    // An eventfd write of 1 cannot fail short of a bad fd; the helper then returns.
    ssize_t n = write(stop_fd_, &one, sizeof one);
    (void)n;
    helper_.join();
  }
  if (stop_fd_ >= 0) close(stop_fd_);
  if (epoll_fd_ >= 0) close(epoll_fd_);
}

ChannelReader::Incoming ChannelReader::Next() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    if (closed_) return *closed_;
    if (!queue_.empty()) {
      Incoming next = std::move(queue_.front());
      if (next.kind == Incoming::Kind::kTooLarge) {
        queue_.front() = next;  // final: returned again on every call
      } else {
        queue_.pop_front();
      }
      return next;
    }
    // Nothing queued and no render running: this thread waits for the channel itself, and the
    // helper stops watching it.
    if (armed_) ArmHelper(false);
    lock.unlock();
    pollfd channel{fd_, POLLIN, 0};
    int ready = BusyPoll(&channel);
    if (ready == 0) ready = poll(&channel, 1, -1);
    int poll_errno = errno;
    lock.lock();
    if (ready < 0 && poll_errno != EINTR) {
      errno = poll_errno;
      CloseLocked(Errno("poll failed"));
      continue;
    }
    if (ready > 0) ReadAvailableLocked();
  }
}

int ChannelReader::BusyPoll(pollfd* channel) {
  // On a VM a sleeping process is woken through its idle virtual CPU, which costs tens of µs;
  // under load the next request usually arrives within that time, so looking again for a while
  // is cheaper than sleeping. sched_yield() gives the CPU to anyone else who wants it meanwhile.
  // Only while the CPUs are idle (ipc/spin_gate.h).
  if (busy_poll_.count() <= 0 || !spin_gate_.Open(Clock::now())) return 0;
  const auto until = Clock::now() + busy_poll_;
  do {
    int ready = poll(channel, 1, 0);
    if (ready != 0) return ready;
    if (!spin_gate_.Yield()) return 0;
  } while (Clock::now() < until);
  return 0;
}

void ChannelReader::BeginRender() {
  std::lock_guard<std::mutex> lock(mutex_);
  rendering_ = true;
  if (closed_ || too_large_ || armed_) return;  // armed: still watching since the last render
  ArmHelper(true);
  // Frames that arrived before the helper was armed wake nobody: read them now. Later ones wake
  // the helper (re-arming a one-shot watch reports data already there, too).
  ReadAvailableLocked();
}

void ChannelReader::EndRender() {
  std::lock_guard<std::mutex> lock(mutex_);
  rendering_ = false;
  // The watch stays armed: the next render, if one is queued, keeps it; Next() disarms it before
  // it waits. A frame arriving in between wakes the helper, which leaves it for the owner.
}

bool ChannelReader::NextQueuedIs(const std::function<bool(const ipc::Request&)>& test) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (closed_ || queue_.empty()) return false;
  const Incoming& next = queue_.front();
  return next.kind == Incoming::Kind::kRequest && test(next.request);
}

void ChannelReader::ArmHelper(bool armed) {
  epoll_event channel{};
  // RDHUP: a supervisor that closes its end must stop the render even if it sent nothing.
  channel.events = EPOLLONESHOT | (armed ? (EPOLLIN | EPOLLRDHUP) : 0u);
  channel.data.fd = fd_;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd_, &channel) != 0) {
    armed_ = false;
    if (armed) CloseLocked(Errno("cannot watch the channel"));
    return;
  }
  armed_ = armed;
}

void ChannelReader::RunHelper() {
  for (;;) {
    epoll_event events[2];
    int n = epoll_wait(epoll_fd_, events, 2, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::lock_guard<std::mutex> lock(mutex_);
      CloseLocked(Errno("epoll_wait failed"));
      return;
    }
    bool channel_ready = false;
    for (int i = 0; i < n; ++i) {
      if (events[i].data.fd == stop_fd_) return;
      channel_ready = true;
    }
    if (!channel_ready) continue;
    std::lock_guard<std::mutex> lock(mutex_);
    armed_ = false;  // one-shot: it fired
    // Between renders the owner reads the channel; an event left over from the last render is
    // its business then.
    if (!rendering_ || closed_ || too_large_) continue;
    ReadAvailableLocked();
    if (rendering_ && !closed_ && !too_large_) ArmHelper(true);
  }
}

void ChannelReader::ReadAvailableLocked() {
  static thread_local char buffer[kReadBytes];
  while (!closed_ && !too_large_) {
    const ssize_t n = recv(fd_, buffer, sizeof buffer, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      CloseLocked(Errno("read failed"));
      return;
    }
    if (n == 0) {
      CloseLocked(decoder_.buffered() > 0 ? "connection closed in the middle of a frame"
                                          : "connection closed");
      return;
    }
    decoder_.Feed(buffer, static_cast<std::size_t>(n));
    DecodeLocked(Clock::now());
    // A short read drained the socket; asking again would only return EAGAIN.
    if (static_cast<std::size_t>(n) < sizeof buffer) return;
  }
}

void ChannelReader::DecodeLocked(Clock::time_point read_at) {
  for (;;) {
    ipc::FrameDecoder::Status status = decoder_.Next(&payload_);
    if (status == ipc::FrameDecoder::Status::kNeedMore) return;
    Incoming incoming;
    incoming.read_at = read_at;
    incoming.frame = ++frames_;
    if (status == ipc::FrameDecoder::Status::kTooLarge) {
      incoming.kind = Incoming::Kind::kTooLarge;
      incoming.why = "frame of " + std::to_string(decoder_.rejected_length()) +
                     " bytes is over the size limit";
      queue_.push_back(std::move(incoming));
      too_large_ = true;
      return;
    }
    std::optional<ipc::Request> request = ipc::DecodeRequest(payload_, &incoming.failure);
    if (!request) {
      incoming.kind = Incoming::Kind::kUndecodable;
    } else if (request->op == ipc::Op::kCancel) {
      spdlog::debug("[req {}] cancel of request {}", request->id, request->target_id);
      watchdog_->Cancel(request->target_id, incoming.frame);
      continue;
    } else {
      incoming.kind = Incoming::Kind::kRequest;
      incoming.request = std::move(*request);
    }
    queue_.push_back(std::move(incoming));
  }
}

void ChannelReader::CloseLocked(std::string why) {
  if (closed_) return;
  // Stop the render first: the owner thread is then already unwinding when it hears of the end.
  watchdog_->ChannelClosed();
  Incoming closed;
  closed.why = std::move(why);
  closed_ = std::move(closed);
}

}  // namespace ssrd::worker
