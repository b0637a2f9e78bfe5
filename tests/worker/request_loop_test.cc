// The request loop in-process: a socketpair stands in for the supervisor's channel.
#include "worker/request_loop.h"

#include <sys/socket.h>
#include <unistd.h>

#include <thread>

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

}  // namespace
}  // namespace ssrd::worker
