#include "worker/chunk_writer.h"

#include <algorithm>
#include <string>

#include "ipc/fd_io.h"
#include "ipc/message.h"

namespace ssrd::worker {
namespace {

// A chunk frame's payload besides the text: map header, "id" and its fixed uint64, "chunk" and a
// str32 header.
constexpr std::size_t kChunkOverheadBytes = 1 + 3 + 9 + 6 + 5;

// The longest prefix of `text` of at most `limit` bytes that ends on a character boundary (at
// least one whole character, so that progress is always made).
std::size_t PieceLength(std::string_view text, std::size_t limit) {
  if (text.size() <= limit) return text.size();
  std::size_t end = limit;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xc0) == 0x80) --end;
  if (end > 0) return end;
  end = 1;
  while (end < text.size() && (static_cast<unsigned char>(text[end]) & 0xc0) == 0x80) ++end;
  return end;
}

}  // namespace

ChunkWriter::ChunkWriter(int channel_fd, std::uint64_t request_id, std::size_t max_frame_bytes)
    : fd_(channel_fd),
      id_(request_id),
      max_piece_bytes_(std::max<std::size_t>(max_frame_bytes, kChunkOverheadBytes + 4) -
                       kChunkOverheadBytes) {}

void ChunkWriter::Write(std::string_view html) {
  std::string frames;
  while (!html.empty()) {
    std::size_t n = PieceLength(html, max_piece_bytes_);
    ipc::EncodeChunk(id_, html.substr(0, n), &frames);
    ++frames_written_;
    html.remove_prefix(n);
  }
  if (failed_ || frames.empty()) return;
  if (!ipc::WriteAll(fd_, frames).ok()) failed_ = true;
}

}  // namespace ssrd::worker
