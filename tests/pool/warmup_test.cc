// Warm-up of new workers (PoolOptions::warmup_requests): what a worker renders between its hello
// and its first client request. The "Count" component answers how many renders its worker has
// run, so a reply shows whether, and how much, the worker rendered before it.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <fstream>
#include <optional>
#include <string>

#include "ipc/message.h"
#include "loop_fixture.h"
#include "pool/warmup.h"
#include "pool/worker_priority.h"

namespace ssrd::pool::testing {
namespace {

using ipc::ErrorCode;

class WarmupTest : public LoopTest {
 protected:
  void TearDown() override {
    if (!warmup_file_.empty()) std::remove(warmup_file_.c_str());
    LoopTest::TearDown();
  }

  PoolOptions WarmOptions(unsigned warmup_requests) {
    PoolOptions o = Options("spin.mjs", 1);
    o.warmup_requests = warmup_requests;
    o.warmup_ms = 5000;
    return o;
  }

  std::string WriteWarmupFile(const std::string& json) {
    char path[] = "/tmp/ssrd-warmup-XXXXXX";
    int fd = mkstemp(path);
    EXPECT_GE(fd, 0);
    close(fd);
    std::ofstream(path) << json;
    warmup_file_ = path;
    return warmup_file_;
  }

  // Renders one request and returns its reply (an empty reply on timeout, which fails the test).
  ipc::Reply RenderNow(const std::string& component, const std::string& props = "{}") {
    std::optional<ipc::Reply> reply;
    pool_->Submit(Render(++last_id_, component, props), [&](std::string&& p) {
      auto decoded = ipc::DecodeReply(p);
      EXPECT_TRUE(decoded.ok());
      reply = decoded.ok() ? decoded.value() : ipc::Reply{};
    });
    EXPECT_TRUE(RunUntil([&] { return reply.has_value(); }, 20000)) << component << " never answered";
    return reply.value_or(ipc::Reply{});
  }

  void KillTheWorker() {
    auto pids = pool_->worker_pids();
    ASSERT_EQ(pids.size(), 1u);
    kill(pids[0], SIGKILL);
    ASSERT_TRUE(RunUntil([&] { return pool_->stats().crashes == 1; }));
  }

  std::string warmup_file_;
  std::uint64_t last_id_ = 0;
};

TEST_P(WarmupTest, ARespawnedWorkerRendersRecentRequestsBeforeItTakesTraffic) {
  StartPoolWith(WarmOptions(5));
  // The first worker has nothing to warm up on: no request has been served yet.
  EXPECT_EQ(RenderNow("Count").html, "<p>Count:1</p>");
  KillTheWorker();
  // Its replacement renders the one kept request five times, then this one.
  ipc::Reply reply = RenderNow("Count");
  ASSERT_TRUE(reply.ok()) << reply.error->ToString();
  EXPECT_EQ(reply.html, "<p>Count:6</p>");
  Stats s = pool_->stats();
  EXPECT_EQ(s.warmups, 5);
  EXPECT_EQ(s.served, 2);  // warm-up renders answer nobody and are not counted as served
  EXPECT_EQ(s.errors, 0);
}

TEST_P(WarmupTest, WithWarmupOffARespawnedWorkerServesAtOnce) {
  StartPoolWith(WarmOptions(0));
  EXPECT_EQ(RenderNow("Count").html, "<p>Count:1</p>");
  KillTheWorker();
  EXPECT_EQ(RenderNow("Count").html, "<p>Count:1</p>");
  EXPECT_EQ(pool_->stats().warmups, 0);
}

TEST_P(WarmupTest, AWarmupFileWarmsTheFirstWorkersBeforeThePoolIsReady) {
  PoolOptions o = WarmOptions(3);
  o.warmup_file = WriteWarmupFile(R"([{"component": "Count", "props": {"x": 1}}])");
  StartPoolWith(o);
  EXPECT_EQ(pool_->stats().warmups, 3);
  EXPECT_EQ(RenderNow("Count").html, "<p>Count:4</p>");
}

TEST_P(WarmupTest, ARecycledWorkersReplacementIsWarmBeforeItIsPromoted) {
  PoolOptions o = WarmOptions(4);
  o.recycle_after_requests = 2;
  StartPoolWith(o);
  EXPECT_EQ(RenderNow("Count").html, "<p>Count:1</p>");
  EXPECT_EQ(RenderNow("Count").html, "<p>Count:2</p>");
  ASSERT_TRUE(RunUntil([&] { return pool_->stats().recycled == 1; }));
  EXPECT_EQ(RenderNow("Count").html, "<p>Count:5</p>");
}

TEST_P(WarmupTest, AReloadCommitsOnlyOnceTheNewWorkersAreWarm) {
  StartPoolWith(WarmOptions(2));
  EXPECT_EQ(RenderNow("Count").html, "<p>Count:1</p>");
  pool_->Reload("test");
  ASSERT_TRUE(RunUntil([&] { return pool_->stats().reloads == 1; }));
  EXPECT_EQ(pool_->stats().warmups, 2);
  EXPECT_EQ(RenderNow("Count").html, "<p>Count:3</p>");
}

TEST_P(WarmupTest, WarmupStopsAtItsTimeBound) {
  PoolOptions o = WarmOptions(100);
  o.warmup_ms = 300;
  o.warmup_file = WriteWarmupFile(R"([{"component": "Spin", "props": {"ms": 200}}])");
  StartPoolWith(o);
  // 200 ms renders in a 300 ms budget: the second one passes the bound, and warm-up ends there.
  EXPECT_EQ(pool_->stats().warmups, 2);
  EXPECT_EQ(RenderNow("Count").html, "<p>Count:3</p>");
}

TEST_P(WarmupTest, AReplacementWarmsUpAtALowerPriorityAndServesAtTheNormalOne) {
  if (!CanRestoreWorkerPriority()) {
    GTEST_SKIP() << "this process may not lower a nice value (not root, no CAP_SYS_NICE, "
                    "RLIMIT_NICE below 20): replacements are then not deprioritised";
  }
  PoolOptions o = WarmOptions(2);
  o.warmup_file = WriteWarmupFile(R"([{"component": "Spin", "props": {"ms": 300}}])");
  StartPoolWith(o);
  // Relative to the supervisor's (this test's) own nice value, which may be raised (nice ctest):
  // a warm worker never gets a higher priority than its supervisor.
  errno = 0;
  const int own = getpriority(PRIO_PROCESS, 0);
  ASSERT_EQ(errno, 0);
  // The first worker has nobody to take CPU from: the supervisor's priority from the start.
  ASSERT_EQ(pool_->worker_pids().size(), 1u);
  EXPECT_EQ(WorkerNice(pool_->worker_pids()[0]), own);
  KillTheWorker();
  pid_t replacement = 0;
  ASSERT_TRUE(RunUntil([&] {
    for (const auto& w : pool_->stats().worker_table) {
      if (w.state == "warming") replacement = static_cast<pid_t>(w.pid);
    }
    return replacement != 0;
  }));
  EXPECT_EQ(WorkerNice(replacement), std::min(19, own + kReplacementNiceStep));
  ASSERT_TRUE(RunUntil([&] { return pool_->stats().workers == 1; }));
  EXPECT_EQ(WorkerNice(replacement), own);
  EXPECT_EQ(RenderNow("Count").html, "<p>Count:3</p>");
}

INSTANTIATE_TEST_SUITE_P(Workers, WarmupTest, ::testing::ValuesIn(WorkerKinds()),
                         [](const auto& info) { return info.param; });

// The fake worker exits on request, which no real bundle can be made to do.
using FakeWarmupTest = WarmupTest;

TEST_P(FakeWarmupTest, ARequestThatKillsAWorkerDuringWarmupIsDropped) {
  PoolOptions o = WarmOptions(4);
  o.warmup_file = WriteWarmupFile(
      R"([{"component": "Exit", "props": {"code": 1}}, {"component": "Count"}])");
  StartPoolWith(o);
  // The first worker died on Exit; its replacement warmed up on Count alone (4 renders).
  Stats s = pool_->stats();
  EXPECT_EQ(s.crashes, 1);
  EXPECT_EQ(RenderNow("Count").html, "<p>Count:5</p>");
}

INSTANTIATE_TEST_SUITE_P(Fake, FakeWarmupTest, ::testing::Values("fake"),
                         [](const auto& info) { return info.param; });

TEST(WarmupFile, NamesTheEntryAndTheFieldThatIsWrong) {
  char path[] = "/tmp/ssrd-warmup-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  auto load = [&](const std::string& json) {
    std::ofstream(path, std::ios::trunc) << json;
    auto r = LoadWarmupFile(path);
    return r.ok() ? std::string("ok") : r.error().ToString();
  };
  std::string p = path;
  EXPECT_EQ(load(R"([{"component": "A", "props": {"a": [1]}, "url": "/x", "hydrate": true}])"), "ok");
  EXPECT_EQ(load("{"), "bad_request: warm-up file " + p + ": not valid JSON");
  EXPECT_EQ(load("{}"),
            "bad_request: warm-up file " + p + R"(: expected a JSON array of {"component", "props"} objects)");
  EXPECT_EQ(load("[]"), "bad_request: warm-up file " + p + ": holds no request");
  EXPECT_EQ(load(R"([{"component": "A"}, {"props": {}}])"),
            "bad_request: warm-up file " + p + R"(: entry 1: "component" must be a non-empty string)");
  EXPECT_EQ(load(R"([{"component": "A", "props": 3}])"),
            "bad_request: warm-up file " + p + R"(: entry 0: "props" must be an object)");
  EXPECT_EQ(load(R"([{"component": "A", "prop": {}}])"),
            "bad_request: warm-up file " + p + R"(: entry 0 has an unknown field "prop")");
  std::remove(path);
  EXPECT_EQ(LoadWarmupFile(p).error().ToString(),
            "bad_request: warm-up file " + p + ": cannot be read");
}

TEST(WarmupSamples, KeepsDistinctRecentRendersWithinItsCapacity) {
  WarmupSamples samples;
  ipc::Request r;
  r.op = ipc::Op::kRender;
  r.component = "A";
  samples.Offer(r);
  samples.Offer(r);  // the same request twice is kept once
  EXPECT_EQ(samples.requests().size(), 1u);
  for (int i = 0; i < 20; ++i) {
    r.component = "C" + std::to_string(i);
    samples.Offer(r);
  }
  EXPECT_EQ(samples.requests().size(), WarmupSamples::kCapacity);
  ipc::Request ping;
  ping.op = ipc::Op::kPing;
  for (std::uint64_t i = 0; i < WarmupSamples::kRefreshEvery * 2; ++i) samples.Offer(ping);
  for (const auto& kept : samples.requests()) EXPECT_EQ(kept.op, ipc::Op::kRender);
  samples.Forget(samples.requests()[0]);
  EXPECT_EQ(samples.requests().size(), WarmupSamples::kCapacity - 1);
}

}  // namespace
}  // namespace ssrd::pool::testing
