// The frame codec: a 4-byte big-endian unsigned length N, then N payload bytes.
// Pure: knows nothing of sockets, libuv or MessagePack (see connection.h for the transport).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ssrd::ipc {

inline constexpr std::size_t kFrameHeaderBytes = 4;
inline constexpr std::size_t kDefaultMaxFrameBytes = 16u * 1024 * 1024;

// Appends the header and payload of one frame to *out.
void AppendFrame(std::string* out, std::string_view payload);

// Feed() buffers bytes as they arrive; Next() yields one whole frame at a time, so reads split at
// any byte or holding many frames both work. A header announcing more than max_frame_bytes yields
// kTooLarge at once, before the payload is buffered; the decoder then stays in that state (the
// caller closes the connection). One decoder per connection; not thread-safe.
class FrameDecoder {
 public:
  enum class Status { kFrame, kNeedMore, kTooLarge };

  explicit FrameDecoder(std::size_t max_frame_bytes = kDefaultMaxFrameBytes);

  void Feed(const char* data, std::size_t size);
  void Feed(std::string_view data) { Feed(data.data(), data.size()); }

  // On kFrame, *payload holds the frame's payload (without header).
  Status Next(std::string* payload);

  // Length the last kTooLarge header announced.
  std::uint32_t rejected_length() const { return rejected_length_; }
  // Bytes buffered and not yet returned.
  std::size_t buffered() const { return buffer_.size() - consumed_; }

 private:
  std::size_t max_frame_bytes_;
  std::string buffer_;
  std::size_t consumed_ = 0;
  bool too_large_ = false;
  std::uint32_t rejected_length_ = 0;
};

}  // namespace ssrd::ipc
