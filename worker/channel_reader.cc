#include "worker/channel_reader.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include <spdlog/spdlog.h>

#include "ipc/frame.h"

namespace ssrd::worker {

ChannelReader::ChannelReader(int fd, RenderWatchdog* watchdog)
    : fd_(fd), watchdog_(watchdog), stop_fd_(eventfd(0, EFD_CLOEXEC)), thread_([this] { Run(); }) {}

ChannelReader::~ChannelReader() {
  std::uint64_t one = 1;
  // An eventfd write of 1 cannot fail short of a bad fd; the thread then returns from poll.
  ssize_t n = write(stop_fd_, &one, sizeof one);
  (void)n;
  thread_.join();
  close(stop_fd_);
}

ChannelReader::Incoming ChannelReader::Next() {
  std::unique_lock<std::mutex> lock(mutex_);
  arrived_.wait(lock, [this] { return closed_ || !queue_.empty(); });
  if (closed_) return *closed_;
  Incoming next = std::move(queue_.front());
  if (next.kind != Incoming::Kind::kTooLarge) queue_.pop_front();
  return next;
}

void ChannelReader::Push(Incoming incoming) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(std::move(incoming));
  }
  arrived_.notify_one();
}

void ChannelReader::Close(std::string why) {
  // Stop the render first: the owner thread is then already unwinding when it hears of the end.
  watchdog_->ChannelClosed();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    Incoming closed;
    closed.why = std::move(why);
    closed_ = std::move(closed);
  }
  arrived_.notify_one();
}

void ChannelReader::Run() {
  if (stop_fd_ < 0) {
    Close(std::string("cannot create an eventfd: ") + std::strerror(errno));
    return;
  }
  ipc::FrameDecoder decoder;
  std::string payload;
  std::uint64_t frames = 0;
  char buffer[64 * 1024];
  for (;;) {
    pollfd fds[2] = {{fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      Close(std::string("poll failed: ") + std::strerror(errno));
      return;
    }
    if (fds[1].revents != 0) return;
    if (fds[0].revents == 0) continue;
    const ssize_t n = read(fd_, buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
      Close(std::string("read failed: ") + std::strerror(errno));
      return;
    }
    if (n == 0) {
      Close(decoder.buffered() > 0 ? "connection closed in the middle of a frame"
                                   : "connection closed");
      return;
    }
    const Clock::time_point read_at = Clock::now();
    decoder.Feed(buffer, static_cast<std::size_t>(n));
    for (;;) {
      ipc::FrameDecoder::Status status = decoder.Next(&payload);
      if (status == ipc::FrameDecoder::Status::kNeedMore) break;
      Incoming incoming;
      incoming.read_at = read_at;
      incoming.frame = ++frames;
      if (status == ipc::FrameDecoder::Status::kTooLarge) {
        incoming.kind = Incoming::Kind::kTooLarge;
        incoming.why = "frame of " + std::to_string(decoder.rejected_length()) +
                       " bytes is over the size limit";
        Push(std::move(incoming));
        return;
      }
      std::optional<ipc::Request> request = ipc::DecodeRequest(payload, &incoming.failure);
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
      Push(std::move(incoming));
    }
  }
}

}  // namespace ssrd::worker
