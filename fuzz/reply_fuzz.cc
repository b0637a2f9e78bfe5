// Fuzz target: the reply side, what the C++ client (and ssrctl) does with the daemon's bytes, and
// what the supervisor does with a worker's: the frame decoder, DecodeReply, and the in-place
// readers and writers of the relay (PeekReplyId, PatchReplyId, IsChunkPayload, the heap_used and
// context_resets peeks). Invariants: no crash or sanitizer report; a reply that decodes re-encodes
// to one that decodes to the same fields; a patched id reads back, and decodes, as the new id.
#include <string>
#include <string_view>

#include "fuzz/frames.h"
#include "fuzz/fuzz_target.h"
#include "ipc/frame.h"
#include "ipc/message.h"

namespace {

using ssrd::ipc::Reply;

bool SameConsole(const Reply& a, const Reply& b) {
  if (a.console.size() != b.console.size()) return false;
  for (std::size_t i = 0; i < a.console.size(); ++i) {
    if (a.console[i].level != b.console[i].level || a.console[i].text != b.console[i].text) {
      return false;
    }
  }
  return true;
}

bool SameReply(const Reply& a, const Reply& b) {
  if (a.id != b.id || a.chunk != b.chunk || a.ok() != b.ok()) return false;
  if (a.chunk) return a.html == b.html;
  if (!a.ok()) {
    return a.error->code == b.error->code && a.error->message == b.error->message &&
           a.error->stack == b.error->stack;
  }
  return a.html == b.html && a.head == b.head && a.status == b.status && a.script == b.script &&
         SameConsole(a, b) && a.worker_pid == b.worker_pid && a.heap_used == b.heap_used &&
         a.context_resets == b.context_resets;
}

void CheckPayload(std::string_view payload) {
  // The relay's peeks read fixed positions: they must stay inside any payload.
  ssrd::ipc::IsChunkPayload(payload);
  ssrd::ipc::PeekReplyHeapUsed(payload);
  ssrd::ipc::PeekReplyContextResets(payload);
  const std::optional<std::uint64_t> id = ssrd::ipc::PeekReplyId(payload);
  ssrd::ipc::Result<Reply> reply = ssrd::ipc::DecodeReply(payload);

  std::string patched(payload);
  constexpr std::uint64_t kNewId = 0x0123456789abcdefULL;
  if (ssrd::ipc::PatchReplyId(&patched, kNewId)) {
    FUZZ_CHECK(id.has_value());
    FUZZ_CHECK(ssrd::ipc::PeekReplyId(patched) == kNewId);
    FUZZ_CHECK(patched.size() == payload.size());
    if (reply.ok()) {
      ssrd::ipc::Result<Reply> relayed = ssrd::ipc::DecodeReply(patched);
      FUZZ_CHECK(relayed.ok());
      FUZZ_CHECK(relayed.value().id == kNewId);
    }
  }
  if (!reply.ok()) {
    FUZZ_CHECK(!reply.error().message.empty());
    return;
  }
  std::string frame;
  ssrd::ipc::EncodeReply(reply.value(), &frame);
  ssrd::ipc::Result<Reply> again =
      ssrd::ipc::DecodeReply(std::string_view(frame).substr(ssrd::ipc::kFrameHeaderBytes));
  if (!again.ok()) FuzzCheckFailed(again.error().message.c_str());
  FUZZ_CHECK(SameReply(reply.value(), again.value()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  for (const std::string& payload : ssrd::fuzz::DecodeFrames(bytes)) CheckPayload(payload);
  CheckPayload(bytes);
  return 0;
}
