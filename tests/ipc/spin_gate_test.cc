// The gate of busy polling (ipc/spin_gate.h): it closes when yielding the CPU keeps running
// someone else, and opens again after its back-off.
#include "ipc/spin_gate.h"

#include <gtest/gtest.h>
#include <pthread.h>
#include <sched.h>

#include <atomic>
#include <thread>

namespace ssrd::ipc {
namespace {

// Pins the calling thread to `cpu`; false where affinity cannot be set.
bool PinTo(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof set, &set) == 0;
}

TEST(SpinGateTest, AFreshGateIsOpen) {
  SpinGate gate;
  EXPECT_TRUE(gate.Open(SpinGate::Clock::now()));
  EXPECT_EQ(gate.back_offs(), 0u);
}

// A thread that always wants the CPU this one runs on: every yield runs it for a time slice.
TEST(SpinGateTest, ClosesWhenEveryYieldRunsSomeoneElseAndReopensAfterTheBackOff) {
  const int cpu = sched_getcpu();
  ASSERT_GE(cpu, 0);
  ASSERT_TRUE(PinTo(cpu));
  std::atomic<bool> stop{false};
  std::thread hog([&] {
    PinTo(cpu);
    while (!stop.load(std::memory_order_relaxed)) {
    }
  });
  SpinGate gate;
  int yields = 0;
  bool closed = false;
  for (; yields < 1000 && !closed; ++yields) closed = !gate.Yield();
  stop = true;
  hog.join();
  ASSERT_TRUE(closed) << "no back-off after " << yields << " yields to a busy thread";
  EXPECT_LE(yields, 50);
  EXPECT_EQ(gate.back_offs(), 1u);
  const auto closed_at = SpinGate::Clock::now();
  EXPECT_FALSE(gate.Open(closed_at));
  EXPECT_TRUE(gate.Open(closed_at + SpinGate::kBackOff));
}

}  // namespace
}  // namespace ssrd::ipc
