#include "ipc/frame.h"

#include <cassert>
#include <limits>

namespace ssrd::ipc {
namespace {
constexpr std::size_t kRetainedBufferBytes = 256 * 1024;
}  // namespace

void AppendFrame(std::string* out, std::string_view payload) {
  // Callers keep payloads under their max frame size, which is far below 4 GiB.
  assert(payload.size() <= std::numeric_limits<std::uint32_t>::max());
  const auto n = static_cast<std::uint32_t>(payload.size());
  const char header[kFrameHeaderBytes] = {static_cast<char>(n >> 24), static_cast<char>(n >> 16),
                                          static_cast<char>(n >> 8), static_cast<char>(n)};
  out->reserve(out->size() + kFrameHeaderBytes + payload.size());
  out->append(header, kFrameHeaderBytes);
  out->append(payload);
}

FrameDecoder::FrameDecoder(std::size_t max_frame_bytes) : max_frame_bytes_(max_frame_bytes) {}

void FrameDecoder::Feed(const char* data, std::size_t size) {
  // After kTooLarge the stream cannot be resynchronised; keeping its bytes would only cost memory.
  if (too_large_ || size == 0) return;
  // Drop what Next() already returned. At most one partial frame remains, so this moves each
  // byte at most once per frame boundary.
  if (consumed_ > 0) {
    buffer_.erase(0, consumed_);
    consumed_ = 0;
  }
  buffer_.append(data, size);
}

FrameDecoder::Status FrameDecoder::Next(std::string* payload) {
  if (too_large_) return Status::kTooLarge;
  const std::size_t available = buffer_.size() - consumed_;
  if (available < kFrameHeaderBytes) return Status::kNeedMore;
  const auto* p = reinterpret_cast<const unsigned char*>(buffer_.data() + consumed_);
  const std::uint32_t length = (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) |
                               (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]};
  if (length > max_frame_bytes_) {
    // Decided from the header alone, so a hostile length never makes us buffer its payload.
    too_large_ = true;
    rejected_length_ = length;
    buffer_.clear();
    buffer_.shrink_to_fit();
    consumed_ = 0;
    return Status::kTooLarge;
  }
  if (available - kFrameHeaderBytes < length) {
    // Grow once to the announced size instead of doubling repeatedly while a big frame arrives.
    buffer_.reserve(consumed_ + kFrameHeaderBytes + length);
    return Status::kNeedMore;
  }
  payload->assign(buffer_.data() + consumed_ + kFrameHeaderBytes, length);
  consumed_ += kFrameHeaderBytes + length;
  if (consumed_ == buffer_.size()) {
    consumed_ = 0;
    // One big frame should not pin its buffer for the rest of a long-lived connection.
    if (buffer_.capacity() > kRetainedBufferBytes) {
      std::string().swap(buffer_);
    } else {
      buffer_.clear();
    }
  }
  return Status::kFrame;
}

}  // namespace ssrd::ipc
