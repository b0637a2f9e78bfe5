// The request loop in-process: a socketpair stands in for the supervisor's channel.
#include "worker/request_loop.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "ipc/fd_io.h"
#include "ipc/frame.h"
#include "ipc/message.h"

namespace ssrd::worker {
namespace {

std::unique_ptr<isolates::Engine> NewEngine(const std::string& bundle = "app.mjs",
                                            std::size_t heap_limit_mb = 512) {
  isolates::EngineOptions options;
  options.bundle_path = std::string(SSRD_TEST_BUNDLES) + "/" + bundle;
  options.heap_limit_mb = heap_limit_mb;
  auto engine = isolates::Engine::Create(options);
  EXPECT_TRUE(engine.ok());
  return engine.ok() ? std::move(engine.value()) : nullptr;
}

ipc::Request RenderRequest(std::uint64_t id, std::string component, std::string props_json) {
  ipc::Request request;
  request.id = id;
  request.op = ipc::Op::kRender;
  request.component = std::move(component);
  request.props_msgpack = ipc::JsonToMsgpack(props_json).value();
  return request;
}

TEST(HandleRequestTest, RenderPingAndUnhandledOps) {
  auto engine = NewEngine();
  ASSERT_NE(engine, nullptr);

  ipc::Reply rendered = HandleRequest(RenderRequest(5, "Hello", R"({"name":"W"})"), engine.get());
  EXPECT_EQ(rendered.id, 5u);
  ASSERT_TRUE(rendered.ok());
  EXPECT_EQ(rendered.html, "<p>Hello W</p>");

  ipc::Reply console = HandleRequest(RenderRequest(6, "Console", "{}"), engine.get());
  ASSERT_TRUE(console.ok());
  ASSERT_EQ(console.console.size(), 5u);
  EXPECT_EQ(console.console[2].level, "warn");

  ipc::Reply failed = HandleRequest(RenderRequest(7, "Throw", "{}"), engine.get());
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.id, 7u);
  EXPECT_EQ(failed.error->code, ipc::ErrorCode::kJsError);
  EXPECT_EQ(failed.error->message, "Error: boom");

  ipc::Request ping;
  ping.id = 8;
  ping.op = ipc::Op::kPing;
  ipc::Reply pong = HandleRequest(ping, engine.get());
  EXPECT_EQ(pong.id, 8u);
  EXPECT_TRUE(pong.ok());
  EXPECT_GT(pong.heap_used, 0u);
  EXPECT_GT(rendered.heap_used, 0u);
  EXPECT_GT(failed.heap_used, 0u);

  ipc::Request stats;
  stats.id = 9;
  stats.op = ipc::Op::kStats;
  ipc::Reply refused = HandleRequest(stats, engine.get());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error->code, ipc::ErrorCode::kBadRequest);
  EXPECT_EQ(refused.error->message, "op stats is not handled by workers");
}

TEST(RunRequestLoopTest, AnswersInOrderAndEndsAtEof) {
  auto engine = NewEngine();
  ASSERT_NE(engine, nullptr);
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  LoopEnd end = LoopEnd::kProtocolError;
  std::thread loop([&] { end = RunRequestLoop(sv[1], engine.get()); });

  std::string frames;
  ipc::EncodeRequest(RenderRequest(1, "Full", "{}"), &frames);
  ipc::AppendFrame(&frames, std::string("\x81\xa2id\x02", 5));  // id 2, no op: bad request
  ipc::EncodeRequest(RenderRequest(3, "Hello", R"({"name":"Z"})"), &frames);
  ASSERT_TRUE(ipc::WriteAll(sv[0], frames).ok());

  ipc::FrameDecoder decoder;
  std::string payload;
  ASSERT_TRUE(ipc::ReadFrame(sv[0], &decoder, &payload).ok());
  auto first = ipc::DecodeReply(payload);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->id, 1u);
  EXPECT_EQ(first->status, 201u);
  EXPECT_GT(first->heap_used, 0u);
  ASSERT_TRUE(ipc::ReadFrame(sv[0], &decoder, &payload).ok());
  auto second = ipc::DecodeReply(payload);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->id, 2u);
  ASSERT_FALSE(second->ok());
  EXPECT_EQ(second->error->code, ipc::ErrorCode::kBadRequest);
  ASSERT_TRUE(ipc::ReadFrame(sv[0], &decoder, &payload).ok());
  auto third = ipc::DecodeReply(payload);
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->html, "<p>Hello Z</p>");

  shutdown(sv[0], SHUT_WR);
  loop.join();
  EXPECT_EQ(end, LoopEnd::kChannelClosed);
  EXPECT_EQ(ExitCode(end), 0);
  close(sv[0]);
  close(sv[1]);
}

// With busy polling the worker looks at its channel without sleeping after each reply: a request
// that comes during that time, and the end of file, must be seen just as after a sleep.
TEST(RunRequestLoopTest, BusyPollingSeesRequestsAndTheEndOfFileThatComeWhileItPolls) {
  auto engine = NewEngine();
  ASSERT_NE(engine, nullptr);
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  LoopEnd end = LoopEnd::kProtocolError;
  // Long enough that every frame below arrives while the worker polls.
  std::thread loop([&] {
    end = RunRequestLoop(sv[1], engine.get(), ipc::kDefaultMaxFrameBytes, 2'000'000);
  });
  ipc::FrameDecoder decoder;
  std::string payload;
  for (std::uint64_t id = 1; id <= 3; ++id) {
    std::string frame;
    ipc::EncodeRequest(RenderRequest(id, "Hello", R"({"name":"P"})"), &frame);
    ASSERT_TRUE(ipc::WriteAll(sv[0], frame).ok());
    ASSERT_TRUE(ipc::ReadFrame(sv[0], &decoder, &payload).ok());
    auto reply = ipc::DecodeReply(payload);
    ASSERT_TRUE(reply.ok());
    EXPECT_EQ(reply->id, id);
    EXPECT_EQ(reply->html, "<p>Hello P</p>");
  }
  shutdown(sv[0], SHUT_WR);
  loop.join();
  EXPECT_EQ(end, LoopEnd::kChannelClosed);
  close(sv[0]);
  close(sv[1]);
}

TEST(RunRequestLoopTest, EndOfFileStopsTheRenderInFlightWithoutAReply) {
  auto engine = NewEngine("stoppable.mjs");
  ASSERT_NE(engine, nullptr);
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  std::string frames;
  // No deadline: only the end of the channel can stop it. Frames queued behind it are dropped.
  ipc::EncodeRequest(RenderRequest(1, "Spin", "{}"), &frames);
  ipc::EncodeRequest(RenderRequest(2, "Fast", "{}"), &frames);
  ASSERT_TRUE(ipc::WriteAll(sv[0], frames).ok());
  shutdown(sv[0], SHUT_WR);

  EXPECT_EQ(RunRequestLoop(sv[1], engine.get()), LoopEnd::kChannelClosed);
  // With the worker's end closed, a read sees end of file at once unless a reply was written.
  close(sv[1]);
  ipc::FrameDecoder decoder;
  std::string payload;
  ipc::Result<void> read = ipc::ReadFrame(sv[0], &decoder, &payload);
  ASSERT_FALSE(read.ok()) << "a reply was written";
  // The engine is left usable (the loop cleared the interrupt).
  auto again = engine->Render({"Fast", "\x80", "/"}, nullptr);
  ASSERT_TRUE(again.ok()) << again.error().ToString();
  close(sv[0]);
}

TEST(RunRequestLoopTest, PoisonedEngineEndsTheLoopAfterReplying) {
  auto engine = NewEngine("app.mjs", 24);
  ASSERT_NE(engine, nullptr);
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  std::string frames;
  ipc::EncodeRequest(RenderRequest(11, "Grow", "{}"), &frames);
  ipc::EncodeRequest(RenderRequest(12, "Hello", R"({"name":"never"})"), &frames);
  ASSERT_TRUE(ipc::WriteAll(sv[0], frames).ok());

  LoopEnd end = RunRequestLoop(sv[1], engine.get());
  EXPECT_EQ(end, LoopEnd::kPoisoned);
  EXPECT_EQ(ExitCode(end), 3);
  ipc::FrameDecoder decoder;
  std::string payload;
  ASSERT_TRUE(ipc::ReadFrame(sv[0], &decoder, &payload).ok());
  auto reply = ipc::DecodeReply(payload);
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply->id, 11u);
  ASSERT_FALSE(reply->ok());
  EXPECT_EQ(reply->error->code, ipc::ErrorCode::kOutOfMemory);
  close(sv[0]);
  close(sv[1]);
}

// The supervisor's end of the channel has a reply to read now.
bool ReplyWaiting(int fd) {
  pollfd peer{fd, POLLIN, 0};
  return poll(&peer, 1, 0) == 1;
}

std::uint64_t ReadReplyId(int fd, ipc::FrameDecoder* decoder) {
  std::string payload;
  EXPECT_TRUE(ipc::ReadFrame(fd, decoder, &payload).ok());
  auto reply = ipc::DecodeReply(payload);
  EXPECT_TRUE(reply.ok());
  return reply.ok() ? reply->id : 0;
}

// Replies of short renders are held while the next short render is already read, and written
// together (worker/reply_batch.h); a reply is never held in front of a render expected to be long
// (the same component was slow last time) or a streamed one, and a request that opted out of
// retries is never in a batch. Before each render the test looks
// at the supervisor's end, which it reads only once every render of a batch has begun: a held
// reply is not there yet.
TEST(RunRequestLoopTest, ShortRendersAreAnsweredTogetherButNeverBehindALongOne) {
  auto engine = NewEngine("stoppable.mjs");
  ASSERT_NE(engine, nullptr);
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  std::mutex probes_mutex;
  std::condition_variable probed;
  std::vector<bool> probes;  // one per render: a reply was readable when it began
  auto probe = [&]() -> std::optional<ipc::Error> {
    bool waiting = ReplyWaiting(sv[0]);
    std::lock_guard<std::mutex> lock(probes_mutex);
    probes.push_back(waiting);
    probed.notify_all();
    return std::nullopt;
  };
  LoopEnd end = LoopEnd::kProtocolError;
  std::thread loop([&] {
    // "Fast" is short and "Busy" long whatever the machine's load: the test is about which
    // replies are held, not about where the line between them lies.
    ReplyHolding holding;
    holding.short_work = std::chrono::milliseconds(40);
    holding.limits.max_hold = std::chrono::seconds(30);
    end = RunRequestLoop(sv[1], engine.get(), ipc::kDefaultMaxFrameBytes, 0, probe, holding);
  });
  ipc::FrameDecoder decoder;
  // Sends the requests in one write, waits until the last has begun to render, then reads every
  // reply and returns what the probe saw when each but the first began.
  auto batch = [&](std::vector<ipc::Request> requests) {
    std::string frames;
    for (const ipc::Request& request : requests) ipc::EncodeRequest(request, &frames);
    EXPECT_TRUE(ipc::WriteAll(sv[0], frames).ok());
    std::vector<bool> seen;
    {
      std::unique_lock<std::mutex> lock(probes_mutex);
      const std::size_t last = requests.back().id;
      EXPECT_TRUE(probed.wait_for(lock, std::chrono::seconds(10),
                                  [&] { return probes.size() >= last; }));
      for (std::size_t id = requests.front().id + 1; id <= last && id <= probes.size(); ++id) {
        seen.push_back(probes[id - 1]);
      }
    }
    std::string payload;
    for (const ipc::Request& request : requests) {
      do {  // a streamed render's chunk frames come before its reply
        EXPECT_TRUE(ipc::ReadFrame(sv[0], &decoder, &payload).ok());
      } while (ipc::IsChunkPayload(payload));
      auto reply = ipc::DecodeReply(payload);
      EXPECT_TRUE(reply.ok() && reply->ok() && reply->id == request.id) << request.id;
    }
    return seen;
  };
  // Each component rendered alone first, so that the worker knows what it costs (a few times:
  // the first renders of a new engine are slow).
  std::uint64_t id = 0;
  for (int i = 0; i < 20; ++i) batch({RenderRequest(++id, "Fast", "{}")});
  batch({RenderRequest(++id, "Busy", R"({"ms":120})")});
  batch({RenderRequest(++id, "Fast", "{}")});

  // Three short ones read at once: nothing is written until the last is done.
  id += 3;
  EXPECT_EQ(batch({RenderRequest(id - 2, "Fast", "{}"), RenderRequest(id - 1, "Fast", "{}"),
                   RenderRequest(id, "Fast", "{}")}),
            (std::vector<bool>{false, false}))
      << "a reply was written before the next short render began";

  // A short one in front of a slow one, or of a streamed one: written at once.
  id += 2;
  EXPECT_EQ(batch({RenderRequest(id - 1, "Fast", "{}"), RenderRequest(id, "Busy", R"({"ms":120})")}),
            std::vector<bool>{true})
      << "the reply to a short render waited for the slow render behind it";
  id += 2;
  ipc::Request streamed = RenderRequest(id, "Fast", "{}");
  streamed.stream = true;
  EXPECT_EQ(batch({RenderRequest(id - 1, "Fast", "{}"), streamed}), std::vector<bool>{true})
      << "the reply to a short render waited for the streamed render behind it";

  // A request that opted out of retries is never in a batch: neither its reply is held nor one
  // in front of it (a lost held reply means its request runs again).
  id += 2;
  ipc::Request once = RenderRequest(id - 1, "Fast", "{}");
  once.retry = false;
  EXPECT_EQ(batch({once, RenderRequest(id, "Fast", "{}")}), std::vector<bool>{true})
      << "the reply to a request that opted out of retries was held";
  id += 2;
  once.id = id;
  EXPECT_EQ(batch({RenderRequest(id - 1, "Fast", "{}"), once}), std::vector<bool>{true})
      << "a reply was held in front of a request that opted out of retries";

  shutdown(sv[0], SHUT_WR);
  loop.join();
  EXPECT_EQ(end, LoopEnd::kChannelClosed);
  close(sv[0]);
  close(sv[1]);
}

// A reply held in front of a short render still goes out when the worker exits instead.
TEST(RunRequestLoopTest, AHeldReplyIsWrittenBeforeThePoisonedWorkerExits) {
  auto engine = NewEngine("app.mjs", 24);
  ASSERT_NE(engine, nullptr);
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  std::string frames;
  // Hello first, so that the worker knows it as short; then Grow's reply is held for the Hello
  // behind it, and the heap limit ends the loop before that Hello renders.
  std::vector<std::uint64_t> expected;
  for (std::uint64_t id = 1; id <= 20; ++id) {
    ipc::EncodeRequest(RenderRequest(id, "Hello", R"({"name":"a"})"), &frames);
    expected.push_back(id);
  }
  ipc::EncodeRequest(RenderRequest(21, "Grow", "{}"), &frames);
  expected.push_back(21);
  ipc::EncodeRequest(RenderRequest(22, "Hello", R"({"name":"never"})"), &frames);
  ASSERT_TRUE(ipc::WriteAll(sv[0], frames).ok());

  EXPECT_EQ(RunRequestLoop(sv[1], engine.get()), LoopEnd::kPoisoned);
  close(sv[1]);
  ipc::FrameDecoder decoder;
  std::string payload;
  std::vector<std::uint64_t> ids;
  while (ipc::ReadFrame(sv[0], &decoder, &payload).ok()) {
    auto reply = ipc::DecodeReply(payload);
    ASSERT_TRUE(reply.ok());
    ids.push_back(reply->id);
    if (reply->id == 21u) {
      ASSERT_FALSE(reply->ok());
      EXPECT_EQ(reply->error->code, ipc::ErrorCode::kOutOfMemory);
    }
  }
  EXPECT_EQ(ids, expected);
  close(sv[0]);
}

}  // namespace
}  // namespace ssrd::worker
