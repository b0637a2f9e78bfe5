#include "clients/cpp/mux_connection.h"

#include <cerrno>
#include <cstring>
#include <utility>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "clients/cpp/dial.h"

namespace ssrd::client::detail {
namespace {

using ipc::ErrorCode;
using ipc::MakeError;

// A read takes whatever the socket holds, up to this: under load many replies arrive together,
// and each read() is a system call and often a context switch.
constexpr std::size_t kReadBufferBytes = 256 * 1024;

std::string Errno(int err) { return std::strerror(err); }

timeval ToTimeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

}  // namespace

ipc::Result<std::shared_ptr<MuxConnection>> MuxConnection::Open(
    const std::string& socket_path, std::chrono::milliseconds connect_timeout,
    std::chrono::milliseconds send_timeout, std::size_t max_frame_bytes,
    const std::string& auth_token, std::chrono::microseconds busy_poll) {
  auto fd = Dial(socket_path, connect_timeout);
  if (!fd) return fd.error();
  if (!auth_token.empty()) {
    // Before the reader starts: the exchange reads its one reply itself.
    if (auto authed = Authenticate(*fd, auth_token, connect_timeout, max_frame_bytes); !authed) {
      ::close(*fd);
      return authed.error();
    }
  }
  // A daemon that stops reading must not block the writer (and so every caller whose frame is
  // queued behind it) forever: a send that stalls this long drops the connection.
  timeval tv = ToTimeval(send_timeout);
  ::setsockopt(*fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  std::shared_ptr<MuxConnection> conn(
      new MuxConnection(*fd, socket_path, max_frame_bytes, busy_poll));
  conn->reader_ = std::thread([raw = conn.get()] { raw->ReadLoop(); });
  return conn;
}

MuxConnection::MuxConnection(int fd, std::string socket_path, std::size_t max_frame_bytes,
                             std::chrono::microseconds busy_poll)
    : fd_(fd),
      owner_pid_(::getpid()),
      socket_path_(std::move(socket_path)),
      max_frame_bytes_(max_frame_bytes),
      busy_poll_(busy_poll) {}

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

MuxConnection::Stats MuxConnection::stats() const {
  Stats stats;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stats.frames_queued = frames_queued_;
  }
  stats.writes = writes_.load(std::memory_order_relaxed);
  stats.reads = reads_.load(std::memory_order_relaxed);
  stats.busy_polls = busy_polls_.load(std::memory_order_relaxed);
  return stats;
}

void MuxConnection::Wake(std::vector<std::shared_ptr<Slot>>* slots) {
  // Called without mu_, so that a woken caller does not block at once on the lock we hold.
  for (auto& slot : *slots) slot->cv.notify_one();
  slots->clear();
}

bool MuxConnection::EnqueueLocked(std::string_view frame, std::shared_ptr<Slot> slot) {
  ++frames_queued_;
  outbox_.bytes.append(frame);
  if (slot) {
    slot->batch = open_batch_;
    outbox_.entries.push_back({std::move(slot), outbox_.bytes.size()});
  }
  if (writing_batch_ != 0) return false;  // the writer will take it with the rest
  in_flight_.Clear();
  std::swap(in_flight_, outbox_);
  writing_batch_ = open_batch_++;
  return true;
}

ipc::Result<void> MuxConnection::SendAll(std::string_view bytes, std::size_t* written) {
  // Not ipc::WriteAll: it waits without bound when the socket buffer is full, while the client
  // must give up after SO_SNDTIMEO (EAGAIN here). MSG_NOSIGNAL: a vanished daemon is EPIPE, not
  // a SIGPIPE that kills the host process.
  const int fd = fd_.load();
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    writes_.fetch_add(1, std::memory_order_relaxed);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = (errno == EAGAIN || errno == EWOULDBLOCK) ? ETIMEDOUT : errno;
      *written = done;
      return MakeError(ErrorCode::kUnavailable, "write to " + socket_path_ + ": " + Errno(err));
    }
    done += static_cast<std::size_t>(n);
  }
  *written = done;
  NoteActivity();
  return {};
}

void MuxConnection::WriteBatches() {
  std::vector<std::shared_ptr<Slot>> wake;
  for (;;) {
    std::size_t written = 0;
    auto sent = SendAll(in_flight_.bytes, &written);
    std::unique_lock<std::mutex> lock(mu_);
    // Part of a frame may be on the wire: the stream is no longer in sync, drop it.
    if (!sent) MarkDeadLocked(sent.error().message, &wake);
    if (dead_) {
      // MarkDead left this batch's callers to us: only here is it known which frames left whole
      // (they may have reached the daemon) and which did not (safe to send again elsewhere).
      for (auto& entry : in_flight_.entries) {
        if (entry.slot->result) continue;  // answered before the connection died
        entry.slot->not_sent = entry.end > written;
        entry.slot->result.emplace(MakeError(ErrorCode::kUnavailable, dead_reason_));
        entry.slot->ready.store(true, std::memory_order_release);
        wake.push_back(std::move(entry.slot));
      }
    }
    in_flight_.Clear();
    if (dead_ || outbox_.bytes.empty()) {
      writing_batch_ = 0;
      lock.unlock();
      Wake(&wake);
      return;
    }
    // Frames queued while we wrote: take them all and write them as one buffer.
    std::swap(in_flight_, outbox_);
    writing_batch_ = open_batch_++;
  }
}

ipc::Result<ipc::Reply> MuxConnection::Call(std::uint64_t id, std::string_view frame,
                                            Clock::time_point deadline, bool* not_sent,
                                            const ChunkFn& on_chunk) {
  *not_sent = false;
  auto slot = std::make_shared<Slot>();
  bool writer = false;
  bool alone = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (dead_) {
      *not_sent = true;
      return MakeError(ErrorCode::kUnavailable, dead_reason_);
    }
    pending_.emplace(id, slot);
    alone = pending_.size() == 1;
    writer = EnqueueLocked(frame, slot);
  }
  if (writer) WriteBatches();
  // With other calls waiting, replies come in batches and the reader is awake anyway; and many
  // spinning callers would take the CPUs the daemon needs.
  if (alone) SpinUntilReady(*slot);
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    if (!slot->cv.wait_until(lock, deadline,
                             [&] { return slot->result.has_value() || !slot->chunks.empty(); })) {
      pending_.erase(id);  // a late reply finds no slot and is dropped
      return MakeError(ErrorCode::kTimeout, "no reply before the deadline");  // caller words it
    }
    if (slot->chunks.empty()) break;
    // Chunks go to the caller's callback outside the lock, in the order they arrived; the final
    // reply is taken only once every chunk before it has been handed out.
    std::deque<std::string> taken = std::move(slot->chunks);
    slot->chunks.clear();
    lock.unlock();
    for (std::string& html : taken) {
      if (on_chunk) on_chunk(std::move(html));
    }
    lock.lock();
  }
  *not_sent = slot->not_sent;
  return std::move(*slot->result);
}

void MuxConnection::SendOnly(std::string_view frame) {
  bool writer = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (dead_) return;
    writer = EnqueueLocked(frame, nullptr);
  }
  if (writer) WriteBatches();
}

void MuxConnection::MarkDeadLocked(const std::string& reason,
                                   std::vector<std::shared_ptr<Slot>>* wake) {
  if (dead_) return;
  dead_ = true;
  dead_reason_ = "connection to " + socket_path_ + " lost: " + reason;
  if (!daemon_error_.empty()) dead_reason_ += " (daemon said " + daemon_error_ + ")";
  for (auto& [id, slot] : pending_) {
    if (slot->batch == writing_batch_) continue;  // being written: the writer settles it
    // Still in the outbox: it never left. Otherwise it was written whole in an earlier batch.
    slot->not_sent = slot->batch == open_batch_;
    slot->result.emplace(MakeError(ErrorCode::kUnavailable, dead_reason_));
    slot->ready.store(true, std::memory_order_release);
    wake->push_back(slot);
  }
  pending_.clear();
  outbox_.Clear();
  int fd = fd_.load();
  // Wakes the reader (EOF) and a writer blocked in send() (EPIPE).
  if (fd >= 0 && ::getpid() == owner_pid_) ::shutdown(fd, SHUT_RDWR);
}

void MuxConnection::MarkDead(const std::string& reason) {
  std::vector<std::shared_ptr<Slot>> wake;
  {
    std::lock_guard<std::mutex> lock(mu_);
    MarkDeadLocked(reason, &wake);
  }
  Wake(&wake);
}

void MuxConnection::ReadLoop() noexcept {
  // A decoded reply, or the error to hand its caller when only its id could be read.
  struct Arrived {
    std::uint64_t id;
    ipc::Result<ipc::Reply> reply;
  };
  ipc::FrameDecoder decoder(max_frame_bytes_);
  std::string payload;
  std::string buffer(kReadBufferBytes, '\0');
  std::vector<Arrived> arrived;
  std::vector<std::shared_ptr<Slot>> wake;
  ipc::SpinGate gate;
  for (;;) {
    SpinUntilReadable(gate);
    ssize_t n = ::read(fd_.load(), buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      MarkDead(n == 0 ? "connection closed by the daemon" : "read: " + Errno(errno));
      return;
    }
    reads_.fetch_add(1, std::memory_order_relaxed);
    decoder.Feed(buffer.data(), static_cast<std::size_t>(n));
    // Decode every whole frame of this read outside the lock, then hand them all out under one
    // lock; the replies before a broken frame still reach their callers.
    std::string fatal;
    for (;;) {
      auto status = decoder.Next(&payload);
      if (status == ipc::FrameDecoder::Status::kNeedMore) break;
      if (status == ipc::FrameDecoder::Status::kTooLarge) {
        fatal = "reply of " + std::to_string(decoder.rejected_length()) +
                " bytes exceeds the limit of " + std::to_string(max_frame_bytes_) + " bytes";
        break;
      }
      auto reply = ipc::DecodeReply(payload);
      if (reply) {
        const std::uint64_t id = reply->id;
        arrived.push_back({id, std::move(reply)});
      } else if (auto id = ipc::PeekReplyId(payload)) {
        arrived.push_back({*id, reply.error()});
      } else {
        fatal = "undecodable reply from the daemon";
        break;
      }
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto& a : arrived) {
        auto it = pending_.find(a.id);
        if (it == pending_.end()) {
          if (!a.reply) {  // undecodable, and nobody to blame it on: the stream is suspect
            fatal = "undecodable reply from the daemon";
            break;
          }
          // Id 0 carries a connection-level error (e.g. a frame the daemon could not read); the
          // daemon closes the connection next, and the waiting calls learn why. Other unknown
          // ids are late replies to calls that timed out, or replies to cancels.
          if (a.id == 0 && a.reply->error) daemon_error_ = a.reply->error->ToString();
          continue;
        }
        if (a.reply && a.reply->chunk) {  // a piece of a streamed render: the call goes on
          it->second->chunks.push_back(std::move(a.reply->html));
          it->second->ready.store(true, std::memory_order_release);
          wake.push_back(it->second);
          continue;
        }
        // An undecodable reply whose id could be read fails that call only.
        it->second->result.emplace(std::move(a.reply));
        it->second->ready.store(true, std::memory_order_release);
        wake.push_back(std::move(it->second));
        pending_.erase(it);
      }
      if (!fatal.empty()) MarkDeadLocked(fatal, &wake);
    }
    arrived.clear();
    if (!wake.empty()) NoteActivity();
    Wake(&wake);
    if (!fatal.empty()) return;
  }
}

void MuxConnection::NoteActivity() {
  if (busy_poll_.count() <= 0) return;
  last_activity_.store(Clock::now().time_since_epoch().count(), std::memory_order_relaxed);
}

void MuxConnection::SpinUntilReadable(ipc::SpinGate& gate) {
  if (busy_poll_.count() <= 0) return;
  Clock::time_point now = Clock::now();
  if (!gate.Open(now)) return;
  pollfd socket{fd_.load(), POLLIN, 0};
  for (;;) {
    const Clock::time_point until =
        Clock::time_point(Clock::duration(last_activity_.load(std::memory_order_relaxed))) +
        busy_poll_;
    if (now >= until) return;
    busy_polls_.fetch_add(1, std::memory_order_relaxed);
    if (::poll(&socket, 1, 0) != 0) return;  // data, EOF or an error: read() tells which
    if (!gate.Yield()) return;
    now = Clock::now();
  }
}

void MuxConnection::SpinUntilReady(const Slot& slot) {
  if (busy_poll_.count() <= 0) return;
  // One gate per calling thread: it judges the CPUs by this thread's own yields.
  static thread_local ipc::SpinGate gate;
  Clock::time_point now = Clock::now();
  if (!gate.Open(now)) return;
  const Clock::time_point until = now + busy_poll_;
  while (!slot.ready.load(std::memory_order_acquire)) {
    busy_polls_.fetch_add(1, std::memory_order_relaxed);
    if (!gate.Yield() || Clock::now() >= until) return;
  }
}

}  // namespace ssrd::client::detail
