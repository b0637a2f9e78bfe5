// The supervisor reads the worker's channel with the same frame limit as its clients
// (--max-frame-bytes) and kills a worker that writes a bigger frame, because a frame over the
// limit cannot be told from a broken stream. So a render whose reply would not fit must be
// answered here, before anything is written: the reply becomes `too_large` "the reply of N bytes
// exceeds the limit of M bytes (--max-frame-bytes)", N being the payload the reply would have
// had, and the worker goes on. The error keeps the render's console lines when they still fit.
// Pure; any thread.
#pragma once

#include <cstddef>
#include <string>

#include "ipc/message.h"

namespace ssrd::worker {

// Encodes `reply` as one whole frame into *frame. When its payload would pass
// max_payload_bytes, *frame holds the too_large reply with the same id, heap_used and
// context_resets instead, and the function returns the payload size the reply would have had;
// otherwise it returns 0.
std::size_t EncodeReplyWithinLimit(const ipc::Reply& reply, std::size_t max_payload_bytes,
                                   std::string* frame);

}  // namespace ssrd::worker
