#include "isolates/timers.h"

#include <cmath>

#include <gtest/gtest.h>

namespace ssrd::isolates {
namespace {

using Clock = TimerQueue::Clock;
using std::chrono::milliseconds;

TEST(TimerQueueTest, PopsInDueOrderThenSchedulingOrder) {
  TimerQueue queue;
  Clock::time_point t0 = Clock::now();
  queue.Schedule(1, 20, t0);
  queue.Schedule(2, 0, t0);
  queue.Schedule(3, 0, t0);
  queue.Schedule(4, 10, t0);
  EXPECT_EQ(queue.NextDue(), t0);
  Clock::time_point later = t0 + milliseconds(30);
  EXPECT_EQ(queue.PopDue(later), 2u);
  EXPECT_EQ(queue.PopDue(later), 3u);
  EXPECT_EQ(queue.PopDue(later), 4u);
  EXPECT_EQ(queue.PopDue(later), 1u);
  EXPECT_FALSE(queue.PopDue(later).has_value());
  EXPECT_TRUE(queue.empty());
}

TEST(TimerQueueTest, NothingIsDueBeforeItsTime) {
  TimerQueue queue;
  Clock::time_point t0 = Clock::now();
  queue.Schedule(7, 50, t0);
  EXPECT_FALSE(queue.PopDue(t0 + milliseconds(49)).has_value());
  EXPECT_EQ(queue.NextDue(), t0 + milliseconds(50));
  EXPECT_EQ(queue.PopDue(t0 + milliseconds(50)), 7u);
}

TEST(TimerQueueTest, CancelAndRescheduleReplaceTheOldEntry) {
  TimerQueue queue;
  Clock::time_point t0 = Clock::now();
  queue.Schedule(1, 0, t0);
  queue.Schedule(2, 0, t0);
  queue.Cancel(1);
  queue.Cancel(99);  // unknown ids are ignored
  queue.Schedule(2, 100, t0);
  EXPECT_EQ(queue.size(), 1u);
  EXPECT_FALSE(queue.PopDue(t0 + milliseconds(99)).has_value());
  EXPECT_EQ(queue.PopDue(t0 + milliseconds(100)), 2u);
}

TEST(TimerQueueTest, NegativeAndNaNDelaysCountAsZeroAndClearDropsAll) {
  TimerQueue queue;
  Clock::time_point t0 = Clock::now();
  queue.Schedule(1, -5, t0);
  queue.Schedule(2, std::nan(""), t0);
  EXPECT_EQ(queue.NextDue(), t0);
  queue.Clear();
  EXPECT_TRUE(queue.empty());
  EXPECT_FALSE(queue.NextDue().has_value());
}

}  // namespace
}  // namespace ssrd::isolates
