// Stopping renders inside a real ssrd-worker: deadlines (timeout_ms), cancel frames and end of
// file while a render runs, and that the same worker process goes on serving afterwards.
//
// Timing: the issue asks for a reply within deadline + 100 ms. On a shared 2-core machine a test
// that asserted 100 ms would fail for reasons that have nothing to do with the code, so the tests
// assert behaviour with a loose bound (deadline + 1000 ms: a watchdog that did not work would
// never answer at all, and ReadWithin turns that into a failure instead of a hang), and a lower
// bound where it proves the deadline was honoured rather than cut short.
#include <chrono>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "ipc/message.h"
#include "tests/worker/worker_process.h"

namespace ssrd::worker {
namespace {

using testing::Bundle;
using testing::WorkerProcess;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

ipc::Request RenderRequest(std::uint64_t id, std::string component, std::uint32_t timeout_ms,
                           const std::string& props_json = "{}") {
  ipc::Request request;
  request.id = id;
  request.op = ipc::Op::kRender;
  request.component = std::move(component);
  request.props_msgpack = ipc::JsonToMsgpack(props_json).value();
  request.timeout_ms = timeout_ms;
  return request;
}

ipc::Request CancelRequest(std::uint64_t id, std::uint64_t target) {
  ipc::Request request;
  request.id = id;
  request.op = ipc::Op::kCancel;
  request.target_id = target;
  return request;
}

ipc::Request PingRequest(std::uint64_t id) {
  ipc::Request request;
  request.id = id;
  request.op = ipc::Op::kPing;
  return request;
}

class SupervisionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto hello = worker_.Read();
    ASSERT_TRUE(hello.ok()) << hello.error().ToString();
    ASSERT_TRUE(hello->ok()) << hello->error->ToString();
  }

  // The same worker renders again, at once and correctly.
  void ExpectNextRenderSucceeds(std::uint64_t id) {
    worker_.Send(RenderRequest(id, "Fast", 5000));
    auto reply = worker_.ReadWithin(milliseconds(5000));
    ASSERT_TRUE(reply.ok()) << reply.error().ToString();
    EXPECT_EQ(reply->id, id);
    ASSERT_TRUE(reply->ok()) << reply->error->ToString();
    EXPECT_EQ(reply->html, "fast");
    EXPECT_GT(reply->heap_used, 0u);
  }

  // Sends a render of `component` with a deadline of timeout_ms and expects `timeout` with the
  // exact message, no earlier than the deadline and well before deadline + 1 s.
  void ExpectTimesOut(std::uint64_t id, const std::string& component, std::uint32_t timeout_ms) {
    const Clock::time_point sent = Clock::now();
    worker_.Send(RenderRequest(id, component, timeout_ms));
    auto reply = worker_.ReadWithin(milliseconds(timeout_ms + 1000));
    const auto elapsed = std::chrono::duration_cast<milliseconds>(Clock::now() - sent);
    ASSERT_TRUE(reply.ok()) << reply.error().ToString();
    EXPECT_EQ(reply->id, id);
    ASSERT_FALSE(reply->ok());
    EXPECT_EQ(reply->error->code, ipc::ErrorCode::kTimeout);
    EXPECT_EQ(reply->error->message, "render of " + component + " passed its deadline of " +
                                         std::to_string(timeout_ms) + " ms");
    EXPECT_GE(elapsed.count(), timeout_ms) << "stopped before its deadline";
    EXPECT_GT(reply->heap_used, 0u);
  }

  int worker_channel() const { return worker_.channel(); }

  WorkerProcess worker_{Bundle("stoppable.mjs")};
};

TEST_F(SupervisionTest, SynchronousInfiniteLoopTimesOutAndTheWorkerGoesOn) {
  ExpectTimesOut(1, "Spin", 300);
  ExpectNextRenderSucceeds(2);
  // And a second time: the first stop left nothing behind that breaks the next one.
  ExpectTimesOut(3, "Spin", 200);
  ExpectNextRenderSucceeds(4);
}

TEST_F(SupervisionTest, PromiseKeptPendingByTimersTimesOutAndTheWorkerGoesOn) {
  ExpectTimesOut(1, "TimerPending", 300);
  ExpectNextRenderSucceeds(2);
}

TEST_F(SupervisionTest, PromiseNothingCanSettleIsATimeoutAtOnce) {
  const Clock::time_point sent = Clock::now();
  worker_.Send(RenderRequest(1, "Stuck", 20000));
  auto reply = worker_.ReadWithin(milliseconds(5000));  // far less than the deadline
  ASSERT_TRUE(reply.ok()) << reply.error().ToString();
  ASSERT_FALSE(reply->ok());
  EXPECT_EQ(reply->error->code, ipc::ErrorCode::kTimeout);
  EXPECT_EQ(reply->error->message,
            "render of Stuck can never finish: its promise is pending with no timer or microtask "
            "left");
  EXPECT_LT(Clock::now() - sent, milliseconds(5000));
  ExpectNextRenderSucceeds(2);
}

TEST_F(SupervisionTest, WithoutADeadlineASlowRenderFinishes) {
  // timeout_ms 0 means no deadline (old callers, tests): a render slower than any deadline above
  // completes.
  worker_.Send(RenderRequest(1, "Sleep", 0, R"({"ms":400})"));
  auto reply = worker_.ReadWithin(milliseconds(5000));
  ASSERT_TRUE(reply.ok()) << reply.error().ToString();
  ASSERT_TRUE(reply->ok()) << reply->error->ToString();
  EXPECT_EQ(reply->html, "slept 400");
}

TEST_F(SupervisionTest, CancelStopsTheRunningRenderAndGetsNoReplyOfItsOwn) {
  worker_.Send(RenderRequest(10, "Spin", 0));  // no deadline: only the cancel can stop it
  std::this_thread::sleep_for(milliseconds(100));
  worker_.Send(CancelRequest(11, 10));
  auto reply = worker_.ReadWithin(milliseconds(5000));
  ASSERT_TRUE(reply.ok()) << reply.error().ToString();
  EXPECT_EQ(reply->id, 10u);
  ASSERT_FALSE(reply->ok());
  EXPECT_EQ(reply->error->code, ipc::ErrorCode::kCancelled);
  EXPECT_EQ(reply->error->message, "request 10 was cancelled while rendering");
  // The next frame is the reply to the next request, not to the cancel.
  ExpectNextRenderSucceeds(12);
}

TEST_F(SupervisionTest, CancelWrittenRightBehindItsRenderStopsIt) {
  // The supervisor may cancel before the worker has begun the render: both frames can arrive in
  // one read. Without a deadline, a lost cancel would leave Spin running and ReadWithin failing.
  std::string frames;
  ipc::EncodeRequest(RenderRequest(20, "Spin", 0), &frames);
  ipc::EncodeRequest(CancelRequest(21, 20), &frames);
  worker_.Send(RenderRequest(19, "Fast", 0));
  ASSERT_TRUE(ipc::WriteAll(worker_channel(), frames).ok());
  auto fast = worker_.ReadWithin(milliseconds(5000));
  ASSERT_TRUE(fast.ok()) << fast.error().ToString();
  EXPECT_EQ(fast->id, 19u);
  auto reply = worker_.ReadWithin(milliseconds(5000));
  ASSERT_TRUE(reply.ok()) << reply.error().ToString();
  EXPECT_EQ(reply->id, 20u);
  ASSERT_FALSE(reply->ok());
  EXPECT_EQ(reply->error->code, ipc::ErrorCode::kCancelled);
  ExpectNextRenderSucceeds(22);
}

TEST_F(SupervisionTest, CancelOfAFinishedRequestIsIgnoredAndUnanswered) {
  ExpectNextRenderSucceeds(30);
  worker_.Send(CancelRequest(31, 30));
  worker_.Send(PingRequest(32));
  auto pong = worker_.ReadWithin(milliseconds(5000));
  ASSERT_TRUE(pong.ok()) << pong.error().ToString();
  EXPECT_EQ(pong->id, 32u) << "the cancel got a reply of its own";
  EXPECT_TRUE(pong->ok());
  EXPECT_GT(pong->heap_used, 0u);
  // A cancel only names renders read before it: a later request reusing the id is not hit.
  ExpectNextRenderSucceeds(30);
}

// A deadline that passes just after its render finished must not stop the next render. Each
// round sends a quick render with a deadline of 1-4 ms, then a 15 ms render with no deadline:
// the quick render's deadline passes while the slow one runs. A watchdog that did not check which
// render a deadline belongs to (or left the interrupt pending) would stop the slow render, which
// has no deadline and so must always succeed. The quick render may legitimately time out.
TEST_F(SupervisionTest, ALateDeadlineNeverStopsTheNextRender) {
  int quick_ok = 0;
  for (std::uint64_t round = 0; round < 60; ++round) {
    std::string frames;
    const std::uint32_t tiny = 1 + static_cast<std::uint32_t>(round % 4);
    ipc::EncodeRequest(RenderRequest(100 + 2 * round, "Fast", tiny), &frames);
    ipc::EncodeRequest(RenderRequest(101 + 2 * round, "Busy", 0, R"({"ms":15})"), &frames);
    ASSERT_TRUE(ipc::WriteAll(worker_channel(), frames).ok());

    auto quick = worker_.ReadWithin(milliseconds(5000));
    ASSERT_TRUE(quick.ok()) << quick.error().ToString();
    ASSERT_EQ(quick->id, 100 + 2 * round);
    if (quick->ok()) {
      EXPECT_EQ(quick->html, "fast");
      ++quick_ok;
    } else {
      EXPECT_EQ(quick->error->code, ipc::ErrorCode::kTimeout) << quick->error->ToString();
    }
    auto slow = worker_.ReadWithin(milliseconds(5000));
    ASSERT_TRUE(slow.ok()) << slow.error().ToString();
    ASSERT_EQ(slow->id, 101 + 2 * round);
    ASSERT_TRUE(slow->ok()) << "round " << round << ": " << slow->error->ToString();
    EXPECT_EQ(slow->html, "busy 15");
  }
  // The test only means something if quick renders finished before their deadlines.
  EXPECT_GT(quick_ok, 0);
}

TEST_F(SupervisionTest, EndOfFileDuringARenderStopsItAndExitsZeroWithoutReplying) {
  worker_.Send(RenderRequest(1, "Spin", 0));
  std::this_thread::sleep_for(milliseconds(100));
  worker_.ShutdownWrite();
  EXPECT_EQ(worker_.WaitExit(milliseconds(3000)), 0);
  auto reply = worker_.ReadWithin(milliseconds(1000));
  ASSERT_FALSE(reply.ok()) << "unexpected reply " << reply->id;
  EXPECT_EQ(reply.error().message, "connection closed");
}

TEST_F(SupervisionTest, EndOfFileWhileWaitingOnTimersExitsZero) {
  worker_.Send(RenderRequest(1, "TimerPending", 0));
  std::this_thread::sleep_for(milliseconds(100));
  worker_.ShutdownWrite();
  EXPECT_EQ(worker_.WaitExit(milliseconds(3000)), 0);
}

}  // namespace
}  // namespace ssrd::worker
