#include "worker/reply_batch.h"

#include "ipc/fd_io.h"

namespace ssrd::worker {

ipc::Result<void> ReplyBatch::Send(int fd, std::string_view frame, bool next_is_short,
                                   Clock::time_point now) {
  if (Hold(frame.size(), next_is_short, now)) {
    if (frames_.empty()) oldest_ = now;
    frames_.append(frame);
    return {};
  }
  if (frames_.empty()) return ipc::WriteAll(fd, frame);
  // A big frame (a page) is not copied behind the held ones: two writes then.
  if (frame.size() >= limits_.max_bytes) {
    if (ipc::Result<void> held = Flush(fd); !held.ok()) return held;
    return ipc::WriteAll(fd, frame);
  }
  frames_.append(frame);
  return Flush(fd);
}

bool ReplyBatch::Hold(std::size_t frame_bytes, bool next_is_short, Clock::time_point now) const {
  if (!next_is_short) return false;
  if (frames_.size() + frame_bytes >= limits_.max_bytes) return false;
  return frames_.empty() || now - oldest_ < limits_.max_hold;
}

ipc::Result<void> ReplyBatch::Flush(int fd) {
  if (frames_.empty()) return {};
  ipc::Result<void> written = ipc::WriteAll(fd, frames_);
  frames_.clear();
  return written;
}

}  // namespace ssrd::worker
