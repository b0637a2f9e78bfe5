// Fuzz target: the frame decoder and the request parser, i.e. what the supervisor does with the
// bytes a client sends. Invariants: no crash or sanitizer report; the frame decoder is split
// invariant (frames.h); a request that decodes re-encodes to one that decodes to the same fields.
// The input is also parsed as a bare payload, so the parser is reached without a valid header.
#include <string>
#include <string_view>

#include "fuzz/frames.h"
#include "fuzz/fuzz_target.h"
#include "ipc/frame.h"
#include "ipc/message.h"

namespace {

using ssrd::ipc::DecodeFailure;
using ssrd::ipc::Request;

bool SameRequest(const Request& a, const Request& b) {
  return a.id == b.id && a.op == b.op && a.component == b.component &&
         a.props_msgpack == b.props_msgpack && a.url == b.url && a.timeout_ms == b.timeout_ms &&
         a.retry == b.retry && a.hydrate == b.hydrate && a.hydrate_id == b.hydrate_id &&
         a.hydrate_global == b.hydrate_global && a.nonce == b.nonce && a.combine == b.combine &&
         a.stream == b.stream && a.target_id == b.target_id && a.token == b.token;
}

void CheckPayload(std::string_view payload) {
  DecodeFailure failure;
  std::optional<Request> request = ssrd::ipc::DecodeRequest(payload, &failure);
  if (!request) {
    FUZZ_CHECK(failure.error.code == ssrd::ipc::ErrorCode::kBadRequest);
    FUZZ_CHECK(!failure.error.message.empty());
    return;
  }
  std::string frame;
  ssrd::ipc::EncodeRequest(*request, &frame);
  FUZZ_CHECK(frame.size() >= ssrd::ipc::kFrameHeaderBytes);
  DecodeFailure again_failure;
  std::optional<Request> again = ssrd::ipc::DecodeRequest(
      std::string_view(frame).substr(ssrd::ipc::kFrameHeaderBytes), &again_failure);
  if (!again) FuzzCheckFailed(again_failure.error.message.c_str());
  FUZZ_CHECK(SameRequest(*request, *again));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  for (const std::string& payload : ssrd::fuzz::DecodeFrames(bytes)) CheckPayload(payload);
  CheckPayload(bytes);
  return 0;
}
