// Shared by the pool tests: a real libuv loop per test, run in bounded slices, and the worker
// binaries to test against (the fake always; the real ssrd-worker when the build has it).
#pragma once

#include <gtest/gtest.h>
#include <uv.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ipc/message.h"
#include "pool/pool.h"

namespace ssrd::pool::testing {

inline std::vector<std::string> WorkerKinds() {
  std::vector<std::string> kinds = {"fake"};
#ifdef SSRD_REAL_WORKER
  kinds.push_back("real");
#endif
  return kinds;
}

inline std::string WorkerPath(const std::string& kind) {
#ifdef SSRD_REAL_WORKER
  if (kind == "real") return SSRD_REAL_WORKER;
#endif
  return SSRD_FAKE_WORKER;
}

inline std::string Bundle(const std::string& name) {
  return std::string(SSRD_POOL_BUNDLES) + "/" + name;
}

class LoopTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { ASSERT_EQ(uv_loop_init(&loop_), 0); }

  void TearDown() override {
    if (pool_) StopPool();
    uv_run(&loop_, UV_RUN_DEFAULT);  // lets closing handles finish
    EXPECT_EQ(uv_loop_close(&loop_), 0) << "a libuv handle was leaked";
  }

  // Runs the loop until done() or the timeout; false on timeout.
  bool RunUntil(const std::function<bool()>& done, int timeout_ms = 10000) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    uv_timer_t tick;  // keeps UV_RUN_ONCE from blocking forever
    uv_timer_init(&loop_, &tick);
    uv_timer_start(
        &tick, [](uv_timer_t*) noexcept {}, 10, 10);
    bool ok = true;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) {
        ok = false;
        break;
      }
      uv_run(&loop_, UV_RUN_ONCE);
    }
    uv_close(reinterpret_cast<uv_handle_t*>(&tick), nullptr);
    uv_run(&loop_, UV_RUN_NOWAIT);
    return ok;
  }

  PoolOptions Options(const std::string& bundle, unsigned workers, unsigned pipeline_depth = 2) {
    PoolOptions o;
    o.pipeline_depth = pipeline_depth;
    o.bundle_path = Bundle(bundle);
    o.worker_executable = WorkerPath(GetParam());
    o.workers = workers;
    o.heap_limit_mb = 128;
    // Off unless a test is about it: a respawned worker would otherwise first render the tests'
    // earlier requests (Spin included), which other tests do not expect.
    o.warmup_requests = 0;
    return o;
  }

  // Creates and starts a pool; waits for on_ready and asserts it succeeded.
  // pipeline_depth 1 keeps every request but one per worker in the pool's queue (for tests of the
  // queue itself).
  void StartPool(const std::string& bundle, unsigned workers, unsigned pipeline_depth = 2) {
    StartPoolWith(Options(bundle, workers, pipeline_depth));
  }

  void StartPoolWith(PoolOptions options) {
    auto pool = Pool::Create(&loop_, std::move(options));
    ASSERT_TRUE(pool.ok()) << pool.error().ToString();
    pool_ = std::move(pool).value();
    bool ready = false;
    ipc::Result<void> result;
    pool_->Start([&](ipc::Result<void> r) {
      result = std::move(r);
      ready = true;
    });
    ASSERT_TRUE(RunUntil([&] { return ready; }, 20000)) << "workers never became ready";
    ASSERT_TRUE(result.ok()) << result.error().ToString();
  }

  void StopPool() {
    bool stopped = false;
    pool_->Stop([&] { stopped = true; });
    EXPECT_TRUE(RunUntil([&] { return stopped; }, 5000)) << "Stop never completed";
    pool_.reset();
  }

  // Sends `requests` renders at once and returns the most requests in flight at workers seen
  // when a reply came (the pool dispatches the next before it answers).
  std::int64_t MostInFlight(const std::string& component, const std::string& props, int requests) {
    std::int64_t most = 0;
    int answered = 0;
    for (int i = 0; i < requests; ++i) {
      pool_->Submit(Render(static_cast<std::uint64_t>(i + 1), component, props),
                    [&](std::string&&) {
                      ++answered;
                      most = std::max(most, pool_->stats().in_flight);
                    });
    }
    EXPECT_TRUE(RunUntil([&] { return answered == requests; }, 20000));
    return most;
  }

  static ipc::Request Render(std::uint64_t id, const std::string& component,
                             const std::string& props_json) {
    ipc::Request r;
    r.id = id;
    r.op = ipc::Op::kRender;
    r.component = component;
    auto props = ipc::JsonToMsgpack(props_json);
    EXPECT_TRUE(props.ok());
    if (props.ok()) r.props_msgpack = props.value();
    return r;
  }

  uv_loop_t loop_;
  std::unique_ptr<Pool> pool_;
};

}  // namespace ssrd::pool::testing
