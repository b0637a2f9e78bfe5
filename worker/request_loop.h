// The worker's request loop: reads one request frame at a time from the channel, renders it with
// the engine, writes one reply frame with the same id. Blocking; single-threaded: the worker
// renders one request at a time by design. Console lines are logged with the request id
// ("[req 42] console.warn: text") and travel in the reply.
#pragma once

#include "ipc/message.h"
#include "isolates/engine.h"

namespace ssrd::worker {

enum class LoopEnd {
  kChannelClosed,  // end of file or a dead peer: the supervisor is gone or retired us
  kPoisoned,       // the engine hit its heap limit (after replying): replace this worker
  kProtocolError,  // the channel carried a frame over the size limit: cannot resync
};

// Exit status for each end: 0, 3 and 1 (docs/architecture.md, worker exit codes).
int ExitCode(LoopEnd end);

// Answers one decoded request: render, ping; any other op is kBadRequest.
ipc::Reply HandleRequest(const ipc::Request& request, isolates::Engine* engine);

// Serves requests until the channel closes or the engine is poisoned.
LoopEnd RunRequestLoop(int channel_fd, isolates::Engine* engine);

}  // namespace ssrd::worker
