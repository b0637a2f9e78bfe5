// The worker's side of a streamed render (docs/protocol.md, "Streaming"): each piece of html the
// engine passes on becomes one or more chunk frames {id, chunk} written to the channel at once,
// so the client gets the first bytes of a page while the rest still renders. A piece is cut at
// UTF-8 character boundaries so that no frame passes the channel's frame limit (the supervisor
// kills a worker that writes a bigger one). Owner thread of the engine only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "isolates/engine.h"

namespace ssrd::worker {

class ChunkWriter : public isolates::StreamSink {
 public:
  ChunkWriter(int channel_fd, std::uint64_t request_id, std::size_t max_frame_bytes);

  void Write(std::string_view html) override;

  // A write failed (the supervisor is gone): nothing more is written; the request loop finds the
  // channel closed when it next reads or writes.
  bool failed() const { return failed_; }
  std::uint64_t frames_written() const { return frames_written_; }

 private:
  int fd_;
  std::uint64_t id_;
  std::size_t max_piece_bytes_;
  bool failed_ = false;
  std::uint64_t frames_written_ = 0;
};

}  // namespace ssrd::worker
