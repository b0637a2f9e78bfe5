#include "worker/request_loop.h"

#include <string>

#include <spdlog/spdlog.h>

#include "ipc/fd_io.h"
#include "ipc/frame.h"
#include "worker/hydration_script.h"

namespace ssrd::worker {
namespace {

ipc::Reply Render(const ipc::Request& request, isolates::Engine* engine) {
  ipc::Reply reply;
  reply.id = request.id;
  isolates::RenderInput input{request.component, request.props_msgpack, request.url,
                              request.hydrate};
  ipc::Result<isolates::RenderOutput> out = engine->Render(input, &reply.console);
  for (const ipc::ConsoleLine& line : reply.console) {
    spdlog::info("[req {}] console.{}: {}", request.id, line.level, line.text);
  }
  if (!out.ok()) {
    spdlog::warn("[req {}] render {} failed: {}", request.id, request.component,
                 out.error().ToString());
    reply.error = out.error();
    return reply;
  }
  reply.html = std::move(out->html);
  reply.head = std::move(out->head);
  reply.status = out->status;
  if (request.hydrate) {
    HydrationOptions options{request.hydrate_id, request.hydrate_global, request.nonce};
    std::string script = ScriptElement(options, EscapeJsonForScript(out->hydration_json));
    if (request.combine) {
      reply.html += script;
    } else {
      reply.script = std::move(script);
    }
  }
  return reply;
}

}  // namespace

int ExitCode(LoopEnd end) {
  switch (end) {
    case LoopEnd::kChannelClosed: return 0;
    case LoopEnd::kPoisoned: return 3;
    case LoopEnd::kProtocolError: return 1;
  }
  return 1;
}

ipc::Reply HandleRequest(const ipc::Request& request, isolates::Engine* engine) {
  switch (request.op) {
    case ipc::Op::kRender:
      return Render(request, engine);
    case ipc::Op::kPing: {
      ipc::Reply reply;
      reply.id = request.id;
      return reply;
    }
    case ipc::Op::kStats:
    case ipc::Op::kCancel:
      break;
  }
  ipc::Reply reply;
  reply.id = request.id;
  reply.error = ipc::MakeError(ipc::ErrorCode::kBadRequest,
                               "op " + std::string(ipc::OpName(request.op)) +
                                   " is not handled by workers");
  return reply;
}

LoopEnd RunRequestLoop(int channel_fd, isolates::Engine* engine) {
  ipc::FrameDecoder decoder;
  std::string payload;
  std::string out;
  for (;;) {
    ipc::Result<void> read = ipc::ReadFrame(channel_fd, &decoder, &payload);
    if (!read.ok()) {
      if (read.error().code == ipc::ErrorCode::kTooLarge) {
        spdlog::error("channel: {}", read.error().ToString());
        return LoopEnd::kProtocolError;
      }
      spdlog::info("channel: {}", read.error().message);
      return LoopEnd::kChannelClosed;
    }
    ipc::DecodeFailure failure;
    std::optional<ipc::Request> request = ipc::DecodeRequest(payload, &failure);
    ipc::Reply reply;
    if (request) {
      reply = HandleRequest(*request, engine);
    } else {
      spdlog::warn("undecodable request: {}", failure.error.ToString());
      reply.id = failure.id.value_or(0);
      reply.error = failure.error;
    }
    out.clear();
    ipc::EncodeReply(reply, &out);
    if (ipc::Result<void> written = ipc::WriteAll(channel_fd, out); !written.ok()) {
      spdlog::info("channel: {}", written.error().message);
      return LoopEnd::kChannelClosed;
    }
    if (engine->poisoned()) {
      spdlog::error("the engine reached its heap limit; exiting to be replaced");
      return LoopEnd::kPoisoned;
    }
  }
}

}  // namespace ssrd::worker
