#include "pool/pool.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <map>
#include <string>

#include "ipc/message.h"
#include "loop_fixture.h"

namespace ssrd::pool::testing {
namespace {

using ipc::ErrorCode;

ipc::Reply Decode(const std::string& payload) {
  auto reply = ipc::DecodeReply(payload);
  EXPECT_TRUE(reply.ok()) << reply.error().ToString();
  return reply.ok() ? reply.value() : ipc::Reply{};
}

using PoolTest = LoopTest;

TEST_P(PoolTest, EveryReplyMatchesItsOwnRequest) {
  StartPool("echo.mjs", 2);
  constexpr int kRequests = 200;
  std::map<std::uint64_t, ipc::Reply> replies;
  for (int i = 0; i < kRequests; ++i) {
    // Client ids deliberately unlike the pool's job ids, so a missed id patch shows.
    std::uint64_t id = 1000000 + 7 * i;
    std::string props =
        R"({"a":)" + std::to_string(i) + R"(,"b":"s)" + std::to_string(i * i) + R"("})";
    pool_->Submit(Render(id, "Echo", props), [&replies, id](std::string&& payload) {
      EXPECT_EQ(replies.count(id), 0u) << "two replies for " << id;
      replies[id] = Decode(payload);
    });
  }
  EXPECT_EQ(pool_->stats().queued + pool_->stats().in_flight, kRequests);
  ASSERT_TRUE(RunUntil([&] { return replies.size() == kRequests; }));
  for (int i = 0; i < kRequests; ++i) {
    std::uint64_t id = 1000000 + 7 * i;
    const ipc::Reply& r = replies[id];
    EXPECT_EQ(r.id, id);
    ASSERT_TRUE(r.ok()) << r.error->ToString();
    EXPECT_EQ(r.html, "<p>Echo:{\"a\":" + std::to_string(i) + ",\"b\":\"s" + std::to_string(i * i) +
                          "\"}</p>");
  }
  Stats s = pool_->stats();
  EXPECT_EQ(s.served, kRequests);
  EXPECT_EQ(s.errors, 0);
  EXPECT_EQ(s.workers, 2);
  EXPECT_EQ(s.crashes, 0);
}

TEST_P(PoolTest, KilledWorkerFailsAnOptedOutRequestAndThePoolKeepsServing) {
  StartPool("spin.mjs", 1);
  auto pids = pool_->worker_pids();
  ASSERT_EQ(pids.size(), 1u);
  std::optional<ipc::Reply> crashed;
  ipc::Request spin = Render(41, "Spin", R"({"ms":5000})");
  spin.retry = false;
  pool_->Submit(spin, [&](std::string&& p) { crashed = Decode(p); });
  ASSERT_TRUE(RunUntil([&] { return pool_->stats().in_flight == 1; }));
  // Let the worker pick the request up, then kill it mid-render.
  RunUntil([] { return false; }, 200);
  ASSERT_EQ(kill(pids[0], SIGKILL), 0);
  ASSERT_TRUE(RunUntil([&] { return crashed.has_value(); }));
  EXPECT_EQ(crashed->id, 41u);
  ASSERT_FALSE(crashed->ok());
  EXPECT_EQ(crashed->error->code, ErrorCode::kWorkerCrashed);
  EXPECT_NE(crashed->error->message.find("signal 9"), std::string::npos) << crashed->error->message;

  std::optional<ipc::Reply> after;
  pool_->Submit(Render(42, "Echo", R"({"x":1})"), [&](std::string&& p) { after = Decode(p); });
  ASSERT_TRUE(RunUntil([&] { return after.has_value(); }));
  ASSERT_TRUE(after->ok()) << after->error->ToString();
  EXPECT_EQ(after->html, "<p>Echo:{\"x\":1}</p>");
  auto new_pids = pool_->worker_pids();
  ASSERT_EQ(new_pids.size(), 1u);
  EXPECT_NE(new_pids[0], pids[0]);
  EXPECT_EQ(pool_->stats().crashes, 1);
  EXPECT_EQ(pool_->stats().retries, 0);
}

TEST_P(PoolTest, ARenderWhoseWorkerIsKilledRunsOnceMore) {
  StartPool("spin.mjs", 1);
  auto pids = pool_->worker_pids();
  ASSERT_EQ(pids.size(), 1u);
  std::optional<ipc::Reply> reply;
  pool_->Submit(Render(7, "Spin", R"({"ms":400})"), [&](std::string&& p) { reply = Decode(p); });
  ASSERT_TRUE(RunUntil([&] { return pool_->stats().in_flight == 1; }));
  RunUntil([] { return false; }, 100);
  ASSERT_EQ(kill(pids[0], SIGKILL), 0);
  // The retry waits for the respawned worker (100 ms backoff), then renders in full.
  ASSERT_TRUE(RunUntil([&] { return reply.has_value(); }, 5000));
  ASSERT_TRUE(reply->ok()) << reply->error->ToString();
  EXPECT_EQ(reply->id, 7u);
  EXPECT_EQ(reply->html, "<p>Spin:{\"ms\":400}</p>");
  EXPECT_EQ(pool_->stats().retries, 1);
  EXPECT_EQ(pool_->stats().crashes, 1);
}

TEST_P(PoolTest, CancelRemovesAQueuedRequestOnly) {
  StartPool("spin.mjs", 1, /*pipeline_depth=*/1);
  std::optional<ipc::Reply> running, queued;
  auto running_job = pool_->Submit(Render(1, "Spin", R"({"ms":300})"),
                                   [&](std::string&& p) { running = Decode(p); });
  auto queued_job =
      pool_->Submit(Render(2, "Echo", R"({})"), [&](std::string&& p) { queued = Decode(p); });
  EXPECT_EQ(pool_->stats().queued, 1);
  EXPECT_TRUE(pool_->CancelQueued(queued_job));
  ASSERT_TRUE(queued.has_value()) << "CancelQueued answers before it returns";
  EXPECT_EQ(queued->id, 2u);
  ASSERT_FALSE(queued->ok());
  EXPECT_EQ(queued->error->code, ErrorCode::kCancelled);
  EXPECT_FALSE(pool_->CancelQueued(queued_job)) << "already answered";
  EXPECT_FALSE(pool_->CancelQueued(running_job)) << "a running request is not cancelled";
  ASSERT_TRUE(RunUntil([&] { return running.has_value(); }));
  EXPECT_TRUE(running->ok());
  EXPECT_EQ(pool_->stats().queued, 0);
}

// Pipelining: with the worker busy, the next requests wait at the worker itself.
TEST_P(PoolTest, RequestsWaitingAtAKilledWorkerAreAllAnsweredOnce) {
  StartPool("spin.mjs", 1, /*pipeline_depth=*/3);
  auto pids = pool_->worker_pids();
  ASSERT_EQ(pids.size(), 1u);
  std::map<std::uint64_t, std::vector<ipc::Reply>> replies;
  auto submit = [&](ipc::Request r) {
    std::uint64_t id = r.id;
    pool_->Submit(std::move(r), [&replies, id](std::string&& p) { replies[id].push_back(Decode(p)); });
  };
  ipc::Request spinning = Render(1, "Spin", R"({"ms":400})");
  spinning.retry = false;  // so that the kill shows on the job it hits
  submit(spinning);
  ipc::Request waiting = Render(2, "Echo", R"({"n":2})");
  waiting.retry = false;   // never started: it is sent again all the same
  submit(waiting);
  submit(Render(3, "Echo", R"({"n":3})"));
  ASSERT_TRUE(RunUntil([&] { return pool_->stats().in_flight == 3; }));
  EXPECT_EQ(pool_->stats().queued, 0) << "all three were sent to the one worker";
  RunUntil([] { return false; }, 100);
  ASSERT_EQ(kill(pids[0], SIGKILL), 0);
  ASSERT_TRUE(RunUntil([&] { return replies.size() == 3; }, 5000));
  RunUntil([] { return false; }, 100);  // a second answer would come now
  for (auto& [id, list] : replies) ASSERT_EQ(list.size(), 1u) << "request " << id;
  ASSERT_FALSE(replies[1][0].ok());
  EXPECT_EQ(replies[1][0].error->code, ErrorCode::kWorkerCrashed);
  ASSERT_TRUE(replies[2][0].ok()) << replies[2][0].error->ToString();
  EXPECT_EQ(replies[2][0].html, R"(<p>Echo:{"n":2}</p>)");
  ASSERT_TRUE(replies[3][0].ok()) << replies[3][0].error->ToString();
  EXPECT_EQ(replies[3][0].html, R"(<p>Echo:{"n":3}</p>)");
  EXPECT_EQ(pool_->stats().retries, 0) << "the waiting ones never ran: no retry is spent on them";
}

// Short renders go deeper than the pipeline depth (dispatcher.h): once a worker has shown that
// its renders are short, it holds up to 8 × the depth; slow renders, and a depth of 1, keep the
// limit as configured. The most jobs ever in flight at the one worker is what shows it
// (MostInFlight counts after each reply's job left, so up to 15 remain at depth 16).
TEST_P(PoolTest, ShortRendersAreSentDeeperThanThePipelineDepthAndSlowOnesAreNot) {
  // "Short" is a time: 20 ms here, so that a loaded machine cannot make an echo look long.
  PoolOptions options = Options("spin.mjs", 1, /*pipeline_depth=*/2);
  options.short_render = std::chrono::milliseconds(20);
  StartPoolWith(std::move(options));
  EXPECT_GT(MostInFlight("Echo", "{}", 400), 2);
  EXPECT_LE(MostInFlight("Echo", "{}", 400), 16);
  // Renders of 40 ms: the average passes 20 ms after a few, and the depth is 2 again.
  MostInFlight("Spin", R"({"ms":40})", 12);
  EXPECT_LE(MostInFlight("Spin", R"({"ms":40})", 16), 2);
}

TEST_P(PoolTest, ADepthOfOneIsKeptForShortRendersToo) {
  StartPool("spin.mjs", 1, /*pipeline_depth=*/1);
  EXPECT_LE(MostInFlight("Echo", "{}", 400), 1);
}

// A worker holds the replies of short renders while it renders the next (worker/reply_batch.h),
// so the render that killed it may have been behind the front job. The fake worker holds "Held"
// replies the same way, and "Exit" kills it. Every request is answered once; the held ones lost
// with their worker run again like the front one; and the one that kills its workers from behind
// others is given up after three deaths instead of going on.
TEST_P(PoolTest, ARequestThatKillsItsWorkerFromBehindHeldRepliesIsGivenUp) {
  if (GetParam() != std::string("fake")) GTEST_SKIP() << "needs the fake worker's Exit and Held";
  StartPool("spin.mjs", 1, /*pipeline_depth=*/3);
  std::map<std::uint64_t, std::vector<ipc::Reply>> replies;
  for (std::uint64_t id = 1; id <= 3; ++id) {
    pool_->Submit(Render(id, id == 3 ? "Exit" : "Held", R"({"code":1})"),
                  [&replies, id](std::string&& p) { replies[id].push_back(Decode(p)); });
  }
  ASSERT_TRUE(RunUntil([&] { return replies.size() == 3; }, 15000));
  RunUntil([] { return false; }, 300);  // a second answer, or another crash, would come now
  for (auto& [id, list] : replies) {
    ASSERT_EQ(list.size(), 1u) << "request " << id;
    ASSERT_FALSE(list[0].ok()) << "request " << id;
    EXPECT_EQ(list[0].error->code, ErrorCode::kWorkerCrashed) << "request " << id;
  }
  EXPECT_NE(replies[3][0].error->message.find("with this request waiting at it, after other "
                                              "workers died with it; not sent again"),
            std::string::npos)
      << replies[3][0].error->message;
  EXPECT_EQ(pool_->stats().crashes, 3);

  std::optional<ipc::Reply> after;
  pool_->Submit(Render(4, "Echo", R"({"x":1})"), [&](std::string&& p) { after = Decode(p); });
  ASSERT_TRUE(RunUntil([&] { return after.has_value(); }, 10000));
  ASSERT_TRUE(after->ok()) << after->error->ToString();
}

// The policy of dispatcher.h: a request never stays behind a slow render while a worker is idle.
TEST_P(PoolTest, FastRequestsDoNotWaitBehindASlowRender) {
  StartPool("spin.mjs", 2);
  std::vector<std::uint64_t> order;
  auto submit = [&](ipc::Request r) {
    std::uint64_t id = r.id;
    pool_->Submit(std::move(r), [&order, id](std::string&& p) {
      EXPECT_TRUE(Decode(p).ok()) << id;
      order.push_back(id);
    });
  };
  submit(Render(1, "Spin", R"({"ms":1500})"));
  for (std::uint64_t id = 2; id <= 7; ++id) submit(Render(id, "Echo", "{}"));
  ASSERT_TRUE(RunUntil([&] { return order.size() == 7; }, 10000));
  EXPECT_EQ(order.back(), 1u) << "every fast request was answered before the slow one";
  EXPECT_GE(pool_->stats().steals, 1) << "one was taken back from behind the slow render";
  EXPECT_EQ(pool_->stats().in_flight, 0);
}

TEST_P(PoolTest, ARequestWaitingAtAWorkerIsAnsweredAtItsDeadline) {
  StartPool("spin.mjs", 1);
  std::optional<ipc::Reply> slow, late;
  pool_->Submit(Render(1, "Spin", R"({"ms":1200})"), [&](std::string&& p) { slow = Decode(p); });
  ipc::Request request = Render(2, "Echo", "{}");
  request.timeout_ms = 150;
  pool_->Submit(request, [&](std::string&& p) { late = Decode(p); });
  ASSERT_TRUE(RunUntil([&] { return pool_->stats().in_flight == 2; }));
  ASSERT_TRUE(RunUntil([&] { return late.has_value(); }, 5000));
  EXPECT_FALSE(slow.has_value()) << "answered before the render it waited behind ended";
  ASSERT_FALSE(late->ok());
  EXPECT_EQ(late->error->code, ErrorCode::kTimeout);
  EXPECT_NE(late->error->message.find("waiting at a worker behind another render"),
            std::string::npos)
      << late->error->message;
  ASSERT_TRUE(RunUntil([&] { return slow.has_value(); }, 5000));
  EXPECT_TRUE(slow->ok());
  RunUntil([] { return false; }, 100);
  EXPECT_EQ(pool_->stats().served, 1) << "the skipped request's own reply is dropped";
}

TEST_P(PoolTest, CancelReachesARequestWaitingAtAWorker) {
  if (GetParam() != std::string("real")) GTEST_SKIP() << "the fake worker ignores cancel frames";
  StartPool("spin.mjs", 1);
  std::optional<ipc::Reply> slow, waiting;
  pool_->Submit(Render(1, "Spin", R"({"ms":300})"), [&](std::string&& p) { slow = Decode(p); });
  auto job = pool_->Submit(Render(2, "Echo", "{}"), [&](std::string&& p) { waiting = Decode(p); });
  ASSERT_TRUE(RunUntil([&] { return pool_->stats().in_flight == 2; }));
  EXPECT_FALSE(pool_->CancelQueued(job)) << "it is at the worker, not in the queue";
  EXPECT_TRUE(pool_->Cancel(job));
  ASSERT_TRUE(RunUntil([&] { return slow.has_value() && waiting.has_value(); }, 5000));
  EXPECT_TRUE(slow->ok());
  ASSERT_FALSE(waiting->ok());
  EXPECT_EQ(waiting->error->code, ErrorCode::kCancelled);
}

// The worker exits after an out_of_memory reply; a request sent to it in that moment would die
// with it, and without a retry the client would get worker_crashed for a render that never ran.
TEST_P(PoolTest, AWorkerThatRanOutOfMemoryGetsNoMoreWork) {
  StartPool("spin.mjs", 1, /*pipeline_depth=*/1);
  std::optional<ipc::Reply> hog, next;
  ipc::Request oom = Render(1, "Hog", "{}");
  oom.retry = false;
  ipc::Request echo = Render(2, "Echo", R"({"after":"oom"})");
  echo.retry = false;
  pool_->Submit(oom, [&](std::string&& p) { hog = Decode(p); });
  pool_->Submit(echo, [&](std::string&& p) { next = Decode(p); });
  ASSERT_TRUE(RunUntil([&] { return hog.has_value() && next.has_value(); }, 30000));
  ASSERT_FALSE(hog->ok());
  EXPECT_EQ(hog->error->code, ErrorCode::kOutOfMemory);
  ASSERT_TRUE(next->ok()) << next->error->ToString();
  EXPECT_EQ(next->html, R"(<p>Echo:{"after":"oom"}</p>)");
  EXPECT_EQ(pool_->stats().retries, 0);
}

TEST_P(PoolTest, StopAnswersQueuedRequestsWithShuttingDown) {
  StartPool("spin.mjs", 1);
  std::map<std::uint64_t, ipc::Reply> replies;
  for (std::uint64_t id = 1; id <= 3; ++id) {
    pool_->Submit(Render(id, "Spin", R"({"ms":200})"),
                  [&replies, id](std::string&& p) { replies[id] = Decode(p); });
  }
  StopPool();
  ASSERT_EQ(replies.size(), 3u);
  for (auto& [id, reply] : replies) {
    ASSERT_FALSE(reply.ok()) << id;
    EXPECT_EQ(reply.error->code, ErrorCode::kShuttingDown) << id;
  }
}

TEST_P(PoolTest, BundleErrorFailsStartWithTheWorkersMessage) {
  auto pool = Pool::Create(&loop_, Options("syntax_error.mjs", 2));
  ASSERT_TRUE(pool.ok()) << pool.error().ToString();
  pool_ = std::move(pool).value();
  std::optional<ipc::Result<void>> result;
  pool_->Start([&](ipc::Result<void> r) { result = std::move(r); });
  ASSERT_TRUE(RunUntil([&] { return result.has_value(); }, 20000));
  ASSERT_FALSE(result->ok());
  EXPECT_EQ(result->error().code, ErrorCode::kBundleError);
  EXPECT_NE(result->error().message.find("SyntaxError"), std::string::npos)
      << result->error().message;
  EXPECT_EQ(result->error().message.find('\n'), std::string::npos) << "one line";
  // Requests after a fatal start are refused rather than queued forever.
  std::optional<ipc::Reply> refused;
  bool both_fatal = RunUntil([&] { return pool_->worker_pids().empty(); }, 5000);
  ASSERT_TRUE(both_fatal);
  pool_->Submit(Render(5, "Echo", "{}"), [&](std::string&& p) { refused = Decode(p); });
  ASSERT_TRUE(RunUntil([&] { return refused.has_value(); }));
  EXPECT_EQ(refused->error->code, ErrorCode::kUnavailable);
  StopPool();  // TearDown's uv_loop_close == 0 shows both workers were reaped
}

TEST_P(PoolTest, CreateRejectsAMissingBundleOrExecutable) {
  PoolOptions o = Options("echo.mjs", 1);
  o.bundle_path = "/nonexistent/bundle.mjs";
  auto missing = Pool::Create(&loop_, o);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kBundleError);
  EXPECT_EQ(missing.error().message,
            "cannot read bundle /nonexistent/bundle.mjs: no such file or directory");

  o = Options("echo.mjs", 1);
  o.worker_executable = "/nonexistent/ssrd-worker";
  auto no_exe = Pool::Create(&loop_, o);
  ASSERT_FALSE(no_exe.ok());
  EXPECT_EQ(no_exe.error().code, ErrorCode::kBadRequest);
  EXPECT_EQ(no_exe.error().message,
            "worker executable /nonexistent/ssrd-worker: no such file or directory");
}

INSTANTIATE_TEST_SUITE_P(Workers, PoolTest, ::testing::ValuesIn(WorkerKinds()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace ssrd::pool::testing

namespace ssrd::pool::testing {
namespace {

// Fault injection the real worker cannot be asked for: the fake exits on request.
using FakeWorkerPoolTest = LoopTest;

TEST_P(FakeWorkerPoolTest, ExitCode2RetiresTheSlotForGood) {
  StartPool("echo.mjs", 1);
  std::optional<ipc::Reply> first, second;
  pool_->Submit(Render(1, "Exit", R"({"code":2})"), [&](std::string&& p) { first = Decode(p); });
  ASSERT_TRUE(RunUntil([&] { return first.has_value(); }));
  EXPECT_EQ(first->error->code, ErrorCode::kWorkerCrashed);
  EXPECT_NE(first->error->message.find("exited with code 2"), std::string::npos);
  // No respawn: a later request is refused instead of waiting for a worker that never comes.
  RunUntil([] { return false; }, 300);
  EXPECT_TRUE(pool_->worker_pids().empty());
  pool_->Submit(Render(2, "Echo", "{}"), [&](std::string&& p) { second = Decode(p); });
  ASSERT_TRUE(RunUntil([&] { return second.has_value(); }));
  EXPECT_EQ(second->error->code, ErrorCode::kUnavailable);
}

TEST_P(FakeWorkerPoolTest, ExitCode3IsRespawned) {
  StartPool("echo.mjs", 1);
  std::optional<ipc::Reply> first, second;
  pool_->Submit(Render(1, "Exit", R"({"code":3})"), [&](std::string&& p) { first = Decode(p); });
  ASSERT_TRUE(RunUntil([&] { return first.has_value(); }));
  EXPECT_EQ(first->error->code, ErrorCode::kWorkerCrashed);
  pool_->Submit(Render(2, "Echo", "{}"), [&](std::string&& p) { second = Decode(p); });
  ASSERT_TRUE(RunUntil([&] { return second.has_value(); }));
  EXPECT_TRUE(second->ok());
}

TEST_P(FakeWorkerPoolTest, AWorkerThatKeepsDyingBeforeItsHelloFailsStart) {
  auto pool = Pool::Create(&loop_, Options("dies_before_hello.mjs", 1));
  ASSERT_TRUE(pool.ok());
  pool_ = std::move(pool).value();
  std::optional<ipc::Result<void>> result;
  pool_->Start([&](ipc::Result<void> r) { result = std::move(r); });
  // Three attempts with 100 ms and 200 ms of backoff between them.
  ASSERT_TRUE(RunUntil([&] { return result.has_value(); }, 5000));
  ASSERT_FALSE(result->ok());
  EXPECT_EQ(result->error().code, ErrorCode::kUnavailable);
  EXPECT_NE(result->error().message.find("before it was ready (3 attempts)"), std::string::npos)
      << result->error().message;
}

INSTANTIATE_TEST_SUITE_P(Fake, FakeWorkerPoolTest, ::testing::Values("fake"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace ssrd::pool::testing
