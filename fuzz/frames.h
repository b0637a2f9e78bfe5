// Splits fuzz input into frame payloads the way a connection does, and checks on the way that the
// frame decoder yields the same frames whether the bytes arrive at once or one at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_target.h"
#include "ipc/frame.h"

namespace ssrd::fuzz {

// A limit small enough that the fuzzer reaches kTooLarge with short inputs.
inline constexpr std::size_t kFuzzMaxFrameBytes = 1 << 20;

// The payloads of the whole frames in `bytes`, up to the first too-large header.
inline std::vector<std::string> DecodeFrames(std::string_view bytes) {
  std::vector<std::string> whole;
  ipc::FrameDecoder at_once(kFuzzMaxFrameBytes);
  at_once.Feed(bytes);
  std::string payload;
  ipc::FrameDecoder::Status last;
  while ((last = at_once.Next(&payload)) == ipc::FrameDecoder::Status::kFrame) {
    whole.push_back(payload);
  }
  // The same bytes one at a time: the same frames, then the same final state.
  std::vector<std::string> split;
  ipc::FrameDecoder bytewise(kFuzzMaxFrameBytes);
  ipc::FrameDecoder::Status status = ipc::FrameDecoder::Status::kNeedMore;
  for (char c : bytes) {
    bytewise.Feed(&c, 1);
    while ((status = bytewise.Next(&payload)) == ipc::FrameDecoder::Status::kFrame) {
      split.push_back(payload);
    }
    if (status == ipc::FrameDecoder::Status::kTooLarge) break;
  }
  FUZZ_CHECK(split == whole);
  FUZZ_CHECK(status == last || bytes.empty());
  if (last == ipc::FrameDecoder::Status::kTooLarge) {
    FUZZ_CHECK(at_once.rejected_length() > kFuzzMaxFrameBytes);
    FUZZ_CHECK(bytewise.rejected_length() == at_once.rejected_length());
  } else {
    FUZZ_CHECK(at_once.buffered() == bytewise.buffered());
    FUZZ_CHECK(at_once.buffered() < ipc::kFrameHeaderBytes + kFuzzMaxFrameBytes);
  }
  return whole;
}

}  // namespace ssrd::fuzz
