// Engine::Interrupt from another thread, the way the worker's watchdog calls it: it stops a
// synchronous loop and a render waiting on timers, and after ClearInterrupt the same engine
// renders again.
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "isolates/engine.h"
#include "isolates/interrupt_signal.h"
#include "tests/isolates/engine_test_util.h"

namespace ssrd::isolates {
namespace {

using testing::MustCreate;
using testing::Props;
using Clock = std::chrono::steady_clock;

// Renders `component` while another thread interrupts it after 50 ms. Returns the result.
ipc::Result<RenderOutput> RenderInterrupted(Engine* engine, std::string_view component) {
  std::string props = Props("{}");
  std::thread interrupter([engine] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    engine->Interrupt();
  });
  ipc::Result<RenderOutput> out = engine->Render({component, props, "/"}, nullptr);
  interrupter.join();
  engine->ClearInterrupt();
  return out;
}

void ExpectUsable(Engine* engine) {
  std::string props = Props("{}");
  auto out = engine->Render({"Fast", props, "/"}, nullptr);
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  EXPECT_EQ(out->html, "fast");
}

TEST(EngineInterruptTest, StopsASynchronousLoop) {
  auto engine = MustCreate("stoppable.mjs");
  ASSERT_NE(engine, nullptr);
  auto out = RenderInterrupted(engine.get(), "Spin");
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().code, ipc::ErrorCode::kInternal);
  EXPECT_EQ(out.error().message, "render was terminated");
  ExpectUsable(engine.get());
}

TEST(EngineInterruptTest, StopsARenderWaitingOnTimersAndDropsThem) {
  auto engine = MustCreate("stoppable.mjs");
  ASSERT_NE(engine, nullptr);
  auto out = RenderInterrupted(engine.get(), "TimerPending");
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().message, "render was terminated");
  ExpectUsable(engine.get());
  // The interval of TimerPending is gone: a stuck promise is reported at once, not kept alive.
  auto stuck = engine->Render({"Stuck", Props("{}"), "/"}, nullptr);
  ASSERT_FALSE(stuck.ok());
  EXPECT_EQ(stuck.error().code, ipc::ErrorCode::kTimeout);
  EXPECT_EQ(stuck.error().message,
            "render of Stuck can never finish: its promise is pending with no timer or microtask "
            "left");
}

TEST(EngineInterruptTest, AnInterruptBetweenRendersStopsTheNextUnlessCleared) {
  auto engine = MustCreate("stoppable.mjs");
  ASSERT_NE(engine, nullptr);
  std::string props = Props("{}");
  // This is why the header asks callers to clear: the request outlives the render it was for.
  engine->Interrupt();
  auto stopped = engine->Render({"Fast", props, "/"}, nullptr);
  ASSERT_FALSE(stopped.ok());
  EXPECT_EQ(stopped.error().message, "render was terminated");
  engine->Interrupt();
  engine->ClearInterrupt();
  ExpectUsable(engine.get());
}

TEST(EngineInterruptTest, HeapUsedIsReported) {
  auto engine = MustCreate("stoppable.mjs");
  ASSERT_NE(engine, nullptr);
  EXPECT_GT(engine->heap_used(), 0u);
}

TEST(InterruptSignalTest, WaitEndsWhenRaisedFromAnotherThread) {
  InterruptSignal signal;
  EXPECT_FALSE(signal.WaitUntil(Clock::now() + std::chrono::milliseconds(1)));
  std::thread raiser([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    signal.Raise();
  });
  // Without the raise this would sleep for an hour; the test's own timeout would catch it.
  EXPECT_TRUE(signal.WaitUntil(Clock::now() + std::chrono::hours(1)));
  raiser.join();
  EXPECT_TRUE(signal.raised());
  EXPECT_TRUE(signal.WaitUntil(Clock::now() + std::chrono::hours(1)));  // stays raised
  signal.Clear();
  EXPECT_FALSE(signal.raised());
}

}  // namespace
}  // namespace ssrd::isolates
