// The worker's request loop: renders one request at a time with the engine and writes one reply
// frame with the same id, carrying heap_used (the isolate's used heap after the request). The
// replies of short renders are held while the next short one, already read, renders, and written
// together (reply_batch.h, component_costs.h); every way out of the loop writes what is held. The
// ChannelReader's helper thread watches the channel while a render runs, so that it can be
// stopped (RenderWatchdog): past its deadline (timeout_ms counted from when its frame was read; 0 =
// none) it is answered `timeout` "render of C passed its deadline of N ms"; cancelled by a
// `cancel` frame naming its id, `cancelled` "request ID was cancelled while rendering"; cancel
// frames themselves get no reply. After a stop the same engine goes on with the next request.
// A request with `stream` set has the html its render streams written as chunk frames of its id
// while it renders (chunk_writer.h), then the reply. A reply whose payload would pass max_reply_bytes is answered too_large instead
// (reply_limit.h). Console lines are logged with the request id ("[req 42] console.warn: text") and travel in the
// reply.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>

#include "ipc/frame.h"
#include "ipc/message.h"
#include "isolates/engine.h"
#include "worker/reply_batch.h"

namespace ssrd::worker {

enum class LoopEnd {
  kChannelClosed,  // end of file or a dead peer: the supervisor is gone or retired us
  kPoisoned,       // the engine hit its heap limit (after replying): replace this worker
  kProtocolError,  // the channel carried a frame over the size limit: cannot resync
};

// Encodes `reply` as one frame and writes it whole. Fails only when the supervisor is gone.
ipc::Result<void> WriteReply(int fd, const ipc::Reply& reply);

// Exit status for each end: 0, 3 and 1 (docs/architecture.md, worker exit codes).
int ExitCode(LoopEnd end);

// Answers one decoded request on the calling thread, without a deadline: render, ping; any other
// op (cancel included) is kBadRequest.
ipc::Reply HandleRequest(const ipc::Request& request, isolates::Engine* engine);

// Runs before each render; an error it returns answers the request instead (tests only:
// misbehaviour.h).
using BeforeRender = std::function<std::optional<ipc::Error>()>;

// When a reply is held for the next render (reply_batch.h): a render is short under `short_work`
// (component_costs.h), and `limits` bound what is held. Tests widen them, so that a loaded machine
// cannot turn the render they call short into a long one.
struct ReplyHolding {
  ReplyBatch::Clock::duration short_work = ReplyBatch::kShortWork;
  ReplyBatch::Limits limits;
};

// Serves requests until the channel closes (end of file, also in the middle of a render, which is
// then stopped and not answered), the engine is poisoned, or a frame is too large. Joins its
// threads before it returns.
// busy_poll_us: after each reply, poll the channel that long before sleeping in the kernel
// (docs/architecture.md, "Busy polling").
LoopEnd RunRequestLoop(int channel_fd, isolates::Engine* engine,
                       std::size_t max_reply_bytes = ipc::kDefaultMaxFrameBytes,
                       unsigned busy_poll_us = 0,
                       const BeforeRender& before_render = nullptr,
                       const ReplyHolding& holding = {});

}  // namespace ssrd::worker
