#include "worker/reply_limit.h"

#include <utility>

#include "ipc/frame.h"

namespace ssrd::worker {
namespace {

std::size_t PayloadBytes(const std::string& frame) { return frame.size() - ipc::kFrameHeaderBytes; }

}  // namespace

std::size_t EncodeReplyWithinLimit(const ipc::Reply& reply, std::size_t max_payload_bytes,
                                   std::string* frame) {
  frame->clear();
  ipc::EncodeReply(reply, frame);
  std::size_t wanted = PayloadBytes(*frame);
  if (wanted <= max_payload_bytes) return 0;

  ipc::Reply refused;
  refused.id = reply.id;
  refused.heap_used = reply.heap_used;
  refused.context_resets = reply.context_resets;
  refused.error = ipc::MakeError(ipc::ErrorCode::kTooLarge,
                                 "the reply of " + std::to_string(wanted) +
                                     " bytes exceeds the limit of " +
                                     std::to_string(max_payload_bytes) +
                                     " bytes (--max-frame-bytes)");
  refused.console = reply.console;
  frame->clear();
  ipc::EncodeReply(refused, frame);
  if (PayloadBytes(*frame) > max_payload_bytes) {
    // The console alone is too big: the error without it always fits (the limit is >= 1 KiB).
    refused.console.clear();
    frame->clear();
    ipc::EncodeReply(refused, frame);
  }
  return wanted;
}

}  // namespace ssrd::worker
