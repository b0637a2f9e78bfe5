#include "worker/request_loop.h"

#include <chrono>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include <spdlog/spdlog.h>

#include "ipc/fd_io.h"
#include "ipc/log_escape.h"
#include "worker/channel_reader.h"
#include "worker/chunk_writer.h"
#include "worker/component_costs.h"
#include "worker/hydration_script.h"
#include "worker/reply_batch.h"
#include "worker/reply_limit.h"
#include "worker/render_watchdog.h"

namespace ssrd::worker {
namespace {

using Clock = RenderWatchdog::Clock;

// The error a render stopped by the watchdog is answered with (never kChannelClosed: no reply).
ipc::Error StopError(StopReason why, const ipc::Request& request) {
  if (why == StopReason::kCancelled) {
    return ipc::MakeError(ipc::ErrorCode::kCancelled,
                          "request " + std::to_string(request.id) + " was cancelled while rendering");
  }
  return ipc::MakeError(ipc::ErrorCode::kTimeout,
                        "render of " + request.component + " passed its deadline of " +
                            std::to_string(request.timeout_ms) + " ms");
}

// A render that timed out may have waited for a promise that was rejected instead of settling
// its own: the timeout then says so, since the rejection is the likely cause.
void NoteUnhandledRejection(const std::vector<std::string>& rejections, std::string* message) {
  if (rejections.empty()) return;
  *message += "; a promise rejection went unhandled during the render: " + rejections.front();
  if (rejections.size() > 1) {
    *message += " (and " + std::to_string(rejections.size() - 1) + " more)";
  }
}

// The first frame of a JS stack ("at f (/app/src/x.js:3:9) [/app/dist/b.mjs:1:200]"), for the
// log line of a failed render; "" when the stack has none.
std::string FirstFrame(const std::string& stack) {
  for (std::size_t start = 0; start < stack.size();) {
    std::size_t end = stack.find('\n', start);
    if (end == std::string::npos) end = stack.size();
    std::size_t text = stack.find_first_not_of(" \t", start);
    if (text < end && stack.compare(text, 3, "at ") == 0) return stack.substr(text, end - text);
    start = end + 1;
  }
  return {};
}

// Renders one request; with `stream`, html a render streams is written as chunk frames while it
// renders, and the reply holds the rest. With a watchdog, the render is stopped at its deadline (timeout_ms after
// read_at; 0 = none) or on cancel; nullopt means the channel closed meanwhile: nobody to answer.
std::optional<ipc::Reply> Render(const ipc::Request& request, isolates::Engine* engine,
                                 RenderWatchdog* watchdog, ChannelReader* reader,
                                 Clock::time_point read_at, std::uint64_t frame,
                                 isolates::StreamSink* stream) {
  ipc::Reply reply;
  reply.id = request.id;
  isolates::RenderInput input{request.component, request.props_msgpack, request.url,
                              request.hydrate, stream, request.nonce};
  if (watchdog != nullptr) {
    std::optional<Clock::time_point> deadline;
    if (request.timeout_ms > 0) deadline = read_at + std::chrono::milliseconds(request.timeout_ms);
    watchdog->Begin(request.id, frame, deadline);
  }
  if (reader != nullptr) reader->BeginRender();
  ipc::Result<isolates::RenderOutput> out = engine->Render(input, &reply.console);
  if (reader != nullptr) reader->EndRender();
  std::optional<StopReason> stopped;
  if (watchdog != nullptr) stopped = watchdog->End();
  if (!out.ok()) {
    // Source maps are read only for errors (isolates/engine.h), so only errors can bring news.
    for (const std::string& warning : engine->TakeSourceMapWarnings()) {
      spdlog::warn("{}", ipc::EscapeForLog(warning));
    }
  }
  if (stopped == StopReason::kChannelClosed) return std::nullopt;
  for (const ipc::ConsoleLine& line : reply.console) {
    spdlog::info("[req {}] console.{}: {}", request.id, ipc::EscapeForLog(line.level),
                 ipc::EscapeForLog(line.text));
  }
  // A render that finished before the stop took effect keeps its result; so does one that ran
  // out of memory on the way (the worker must then be replaced, which is the bigger news).
  if (!out.ok() && stopped && out.error().code != ipc::ErrorCode::kOutOfMemory) {
    out = StopError(*stopped, request);
  }
  if (!out.ok()) {
    reply.error = out.error();
    if (reply.error->code == ipc::ErrorCode::kTimeout) {
      NoteUnhandledRejection(engine->last_unhandled_rejections(), &reply.error->message);
    }
    // A cancel is the supervisor's own decision (a client cancelled, or an idle worker took the
    // job over): the supervisor logs what matters about it, and a warning per steal under load
    // would fill the log.
    const auto level = reply.error->code == ipc::ErrorCode::kCancelled ? spdlog::level::debug
                                                                       : spdlog::level::warn;
    if (spdlog::should_log(level)) {
      std::string where = FirstFrame(reply.error->stack);
      spdlog::log(level, "[req {}] render {} failed: {}{}", request.id,
                  ipc::EscapeForLog(request.component), ipc::EscapeForLog(reply.error->ToString()),
                  where.empty() ? "" : " (" + ipc::EscapeForLog(where) + ")");
    }
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

// Everything but render: ping; any other op is kBadRequest.
ipc::Reply Answer(const ipc::Request& request) {
  ipc::Reply reply;
  reply.id = request.id;
  if (request.op == ipc::Op::kPing) return reply;
  reply.error = ipc::MakeError(ipc::ErrorCode::kBadRequest,
                               "op " + std::string(ipc::OpName(request.op)) +
                                   " is not handled by workers");
  return reply;
}

// The guard replaced the context: names what a render left behind, once per name for the life of
// the worker (a render that leaks on every request would otherwise fill the log).
void WarnLeftBehind(std::vector<std::string> found, std::unordered_set<std::string>* warned) {
  if (found.empty()) return;
  std::string fresh;
  for (std::string& name : found) {
    if (!warned->insert(name).second) continue;
    if (!fresh.empty()) fresh += ", ";
    fresh += ipc::EscapeForLog(name);  // a property name a render chose
  }
  if (fresh.empty()) return;
  spdlog::warn("a render left {} behind; its context was replaced before the next render "
               "(--isolation guarded; this is said once per name)", fresh);
}

}  // namespace

ipc::Result<void> WriteReply(int fd, const ipc::Reply& reply) {
  std::string out;
  ipc::EncodeReply(reply, &out);
  return ipc::WriteAll(fd, out);
}

int ExitCode(LoopEnd end) {
  switch (end) {
    case LoopEnd::kChannelClosed: return 0;
    case LoopEnd::kPoisoned: return 3;
    case LoopEnd::kProtocolError: return 1;
  }
  return 1;
}

ipc::Reply HandleRequest(const ipc::Request& request, isolates::Engine* engine) {
  ipc::Reply reply = request.op == ipc::Op::kRender
                         ? *Render(request, engine, nullptr, nullptr, Clock::now(), 0, nullptr)
                         : Answer(request);
  reply.heap_used = engine->heap_used();
  return reply;
}

LoopEnd RunRequestLoop(int channel_fd, isolates::Engine* engine, std::size_t max_reply_bytes,
                       unsigned busy_poll_us, const BeforeRender& before_render,
                       const ReplyHolding& holding) {
  // Declared in this order so that the reader, which calls the watchdog, is destroyed first.
  RenderWatchdog watchdog(engine);
  ChannelReader reader(channel_fd, &watchdog, std::chrono::microseconds(busy_poll_us));
  std::unordered_set<std::string> warned;
  ReplyBatch replies(holding.limits);
  ComponentCosts costs(holding.short_work);
  // Every way out writes the replies still held first: the supervisor may still read them.
  auto end = [&](LoopEnd why) {
    (void)replies.Flush(channel_fd);
    return why;
  };
  for (;;) {
    ChannelReader::Incoming in = reader.Next();
    const Clock::time_point work_started = Clock::now();
    ipc::Reply reply;
    switch (in.kind) {
      case ChannelReader::Incoming::Kind::kClosed:
        spdlog::info("channel: {}", in.why);
        return end(LoopEnd::kChannelClosed);
      case ChannelReader::Incoming::Kind::kTooLarge:
        spdlog::error("channel: too_large: {}", in.why);
        return end(LoopEnd::kProtocolError);
      case ChannelReader::Incoming::Kind::kUndecodable:
        spdlog::warn("undecodable request: {}", ipc::EscapeForLog(in.failure.error.ToString()));
        reply.id = in.failure.id.value_or(0);
        reply.error = in.failure.error;
        break;
      case ChannelReader::Incoming::Kind::kRequest:
        if (std::optional<ipc::Error> refused;
            in.request.op == ipc::Op::kRender && before_render && (refused = before_render())) {
          reply.id = in.request.id;
          reply.error = std::move(refused);
        } else if (in.request.op == ipc::Op::kRender) {
          std::optional<ChunkWriter> chunks;
          if (in.request.stream) {
            // Chunk frames go straight to the channel: the replies before them go first.
            if (ipc::Result<void> written = replies.Flush(channel_fd); !written.ok()) {
              spdlog::info("channel: {}", written.error().message);
              return LoopEnd::kChannelClosed;
            }
            chunks.emplace(channel_fd, in.request.id, max_reply_bytes);
          }
          std::optional<ipc::Reply> rendered =
              Render(in.request, engine, &watchdog, &reader, in.read_at, in.frame,
                     chunks ? &*chunks : nullptr);
          if (!rendered) {
            spdlog::info("channel closed during the render of request {}", in.request.id);
            return end(LoopEnd::kChannelClosed);
          }
          reply = std::move(*rendered);
        } else {
          reply = Answer(in.request);
        }
        break;
    }
    reply.heap_used = engine->heap_used();
    reply.context_resets = engine->context_resets();
    std::string frame;
    if (std::size_t wanted = EncodeReplyWithinLimit(reply, max_reply_bytes, &frame); wanted != 0) {
      spdlog::warn("[req {}] reply of {} bytes is over the frame limit of {} bytes; answered "
                   "too_large", reply.id, wanted, max_reply_bytes);
    }
    // Held while the request behind it is already here and expected to be short
    // (reply_batch.h). Never for a request that opted out of retries, nor in front of one: if
    // the worker dies, a lost held reply means its request runs again, and the supervisor takes
    // the job at the front of a dead worker for the one that was rendering (pool/dispatcher.h).
    const Clock::time_point replied = Clock::now();
    const bool may_hold = in.kind != ChannelReader::Incoming::Kind::kRequest || in.request.retry;
    const bool next_is_short = may_hold && reader.NextQueuedIs([&](const ipc::Request& next) {
      return next.retry && costs.ExpectShort(next);
    });
    if (ipc::Result<void> written = replies.Send(channel_fd, frame, next_is_short, replied);
        !written.ok()) {
      spdlog::info("channel: {}", written.error().message);
      return LoopEnd::kChannelClosed;
    }
    // The next render's fresh context is made now, after the reply and before the next frame is
    // taken, so that an idle worker pays for it off the clock. A failure poisons the engine.
    if (ipc::Result<void> prepared = engine->PrepareNextRender(); !prepared.ok()) {
      spdlog::error("cannot make the next render's context: {}",
                    ipc::EscapeForLog(prepared.error().ToString()));
    }
    // A render's cost includes the preparation after it (a fresh context, the guard's check, a
    // collection of what it left), so that with a fresh context per render nothing is held.
    if (in.kind == ChannelReader::Incoming::Kind::kRequest && in.request.op == ipc::Op::kRender) {
      if (reply.error) {
        costs.Forget(in.request.component);
      } else {
        costs.Record(in.request.component, Clock::now() - work_started);
      }
    }
    WarnLeftBehind(engine->TakeLeftBehind(), &warned);
    if (engine->poisoned()) {
      spdlog::error("the engine reached its heap limit; exiting to be replaced");
      return end(LoopEnd::kPoisoned);
    }
  }
}

}  // namespace ssrd::worker
