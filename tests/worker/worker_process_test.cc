// The real ssrd-worker binary, driven the way the supervisor drives it: a socketpair end as fd 3.
#include <string>

#include <gtest/gtest.h>

#include "ipc/message.h"
#include "tests/worker/worker_process.h"

namespace ssrd::worker {
namespace {

using testing::Bundle;
using testing::WorkerProcess;

TEST(WorkerProcessTest, HelloRenderPingThenExitZeroOnEof) {
  WorkerProcess worker(Bundle("app.mjs"));
  auto hello = worker.Read();
  ASSERT_TRUE(hello.ok()) << hello.error().ToString();
  EXPECT_EQ(hello->id, 0u);
  ASSERT_TRUE(hello->ok());
  EXPECT_EQ(hello->worker_pid, static_cast<std::uint32_t>(worker.pid()));

  ipc::Request render;
  render.id = 42;
  render.op = ipc::Op::kRender;
  render.component = "Console";
  render.props_msgpack = ipc::JsonToMsgpack("{}").value();
  worker.Send(render);
  ipc::Request async = render;
  async.id = 43;
  async.component = "Async";
  worker.Send(async);
  ipc::Request ping;
  ping.id = 44;
  ping.op = ipc::Op::kPing;
  worker.Send(ping);

  auto first = worker.Read();
  ASSERT_TRUE(first.ok()) << first.error().ToString();
  EXPECT_EQ(first->id, 42u);
  ASSERT_TRUE(first->ok());
  EXPECT_EQ(first->html, "ok");
  ASSERT_EQ(first->console.size(), 5u);
  EXPECT_EQ(first->console[1].level, "info");
  EXPECT_EQ(first->console[1].text, "info n=42");

  auto second = worker.Read();
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->id, 43u);
  EXPECT_EQ(second->html, "t0,after10,t30,v20");
  EXPECT_EQ(second->status, 202u);

  auto third = worker.Read();
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->id, 44u);
  EXPECT_TRUE(third->ok());
  // Every reply tells the supervisor how much heap the isolate uses (recycling by heap size).
  EXPECT_GT(first->heap_used, 0u);
  EXPECT_GT(second->heap_used, 0u);
  EXPECT_GT(third->heap_used, 0u);

  worker.CloseChannel();
  EXPECT_EQ(worker.WaitExit(), 0);
}

TEST(WorkerProcessTest, JsErrorIsAReplyNotACrash) {
  WorkerProcess worker(Bundle("app.mjs"));
  ASSERT_TRUE(worker.Read().ok());
  ipc::Request render;
  render.id = 7;
  render.op = ipc::Op::kRender;
  render.component = "Missing";
  render.props_msgpack = ipc::JsonToMsgpack("{}").value();
  worker.Send(render);
  auto reply = worker.Read();
  ASSERT_TRUE(reply.ok());
  ASSERT_FALSE(reply->ok());
  EXPECT_EQ(reply->error->code, ipc::ErrorCode::kNotFound);
  EXPECT_EQ(reply->error->message, "Error: unknown component Missing");
  EXPECT_FALSE(reply->error->stack.empty());
  EXPECT_GT(reply->heap_used, 0u);
  worker.CloseChannel();
  EXPECT_EQ(worker.WaitExit(), 0);
}

TEST(WorkerProcessTest, BadBundleWritesBundleErrorHelloAndExitsTwo) {
  WorkerProcess worker(Bundle("syntax_error.mjs"));
  auto hello = worker.Read();
  ASSERT_TRUE(hello.ok()) << hello.error().ToString();
  EXPECT_EQ(hello->id, 0u);
  ASSERT_FALSE(hello->ok());
  EXPECT_EQ(hello->error->code, ipc::ErrorCode::kBundleError);
  EXPECT_EQ(hello->error->message,
            "SyntaxError: Unexpected token ';' at " + Bundle("syntax_error.mjs") + ":3");
  EXPECT_EQ(worker.WaitExit(), 2);
}

TEST(WorkerProcessTest, OutOfMemoryRepliesThenExitsThree) {
  WorkerProcess worker(Bundle("app.mjs"));
  ASSERT_TRUE(worker.Read().ok());
  ipc::Request render;
  render.id = 9;
  render.op = ipc::Op::kRender;
  render.component = "Grow";
  render.props_msgpack = ipc::JsonToMsgpack("{}").value();
  worker.Send(render);
  auto reply = worker.Read();
  ASSERT_TRUE(reply.ok()) << reply.error().ToString();
  ASSERT_FALSE(reply->ok());
  EXPECT_EQ(reply->error->code, ipc::ErrorCode::kOutOfMemory);
  EXPECT_EQ(worker.WaitExit(), 3);
}

}  // namespace
}  // namespace ssrd::worker
