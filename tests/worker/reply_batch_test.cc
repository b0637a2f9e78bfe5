// ReplyBatch and ComponentCosts: when a reply is held, and that what is held goes out whole and
// in order. A socketpair stands in for the channel.
#include "worker/reply_batch.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include <gtest/gtest.h>

#include "worker/component_costs.h"

namespace ssrd::worker {
namespace {

using Clock = ReplyBatch::Clock;
using std::chrono::microseconds;

class ReplyBatchTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv_), 0); }
  void TearDown() override {
    if (sv_[0] >= 0) close(sv_[0]);
    close(sv_[1]);
  }
  // Everything the supervisor's end can read now, without waiting.
  std::string Readable() {
    std::string out;
    char buffer[256 * 1024];
    for (;;) {
      ssize_t n = recv(sv_[0], buffer, sizeof buffer, MSG_DONTWAIT);
      if (n <= 0) return out;
      out.append(buffer, static_cast<std::size_t>(n));
    }
  }
  int worker() const { return sv_[1]; }
  int sv_[2] = {-1, -1};
};

TEST_F(ReplyBatchTest, HoldsWhileTheNextIsShortThenWritesEverythingInOrder) {
  ReplyBatch batch;
  const Clock::time_point t = Clock::now();
  ASSERT_TRUE(batch.Send(worker(), "one|", true, t).ok());
  ASSERT_TRUE(batch.Send(worker(), "two|", true, t + microseconds(10)).ok());
  EXPECT_EQ(Readable(), "");
  EXPECT_FALSE(batch.empty());
  ASSERT_TRUE(batch.Send(worker(), "three|", false, t + microseconds(20)).ok());
  EXPECT_EQ(Readable(), "one|two|three|");
  EXPECT_TRUE(batch.empty());
  // Nothing held: written at once.
  ASSERT_TRUE(batch.Send(worker(), "four|", false, t + microseconds(30)).ok());
  EXPECT_EQ(Readable(), "four|");
}

TEST_F(ReplyBatchTest, TheOldestHeldReplyIsWrittenByItsMaximumAge) {
  ReplyBatch batch(ReplyBatch::Limits{microseconds(500), 64 * 1024});
  const Clock::time_point t = Clock::now();
  ASSERT_TRUE(batch.Send(worker(), "a|", true, t).ok());
  ASSERT_TRUE(batch.Send(worker(), "b|", true, t + microseconds(499)).ok());
  EXPECT_EQ(Readable(), "");
  ASSERT_TRUE(batch.Send(worker(), "c|", true, t + microseconds(500)).ok());
  EXPECT_EQ(Readable(), "a|b|c|");
  // The next batch's age counts from its own first reply.
  ASSERT_TRUE(batch.Send(worker(), "d|", true, t + microseconds(900)).ok());
  EXPECT_EQ(Readable(), "");
  ASSERT_TRUE(batch.Flush(worker()).ok());
  EXPECT_EQ(Readable(), "d|");
}

TEST_F(ReplyBatchTest, ABatchStopsGrowingAtItsByteLimitAndABigReplyIsNeverHeld) {
  ReplyBatch batch(ReplyBatch::Limits{microseconds(500), 1000});
  const Clock::time_point t = Clock::now();
  const std::string small(400, 's');
  const std::string big(5000, 'B');
  ASSERT_TRUE(batch.Send(worker(), small, true, t).ok());
  ASSERT_TRUE(batch.Send(worker(), small, true, t).ok());
  EXPECT_EQ(Readable(), "");
  ASSERT_TRUE(batch.Send(worker(), small, true, t).ok());  // 1200 bytes would pass 1000
  EXPECT_EQ(Readable(), small + small + small);
  ASSERT_TRUE(batch.Send(worker(), big, true, t).ok());
  EXPECT_EQ(Readable(), big) << "a reply over the limit alone is not held";
  ASSERT_TRUE(batch.Send(worker(), small, true, t).ok());
  ASSERT_TRUE(batch.Send(worker(), big, false, t).ok());
  EXPECT_EQ(Readable(), small + big) << "held ones first, then the big one";
}

TEST_F(ReplyBatchTest, AFailedWriteIsAnErrorAndDropsWhatWasHeld) {
  ReplyBatch batch;
  ASSERT_TRUE(batch.Flush(worker()).ok()) << "nothing held: nothing to write";
  ASSERT_TRUE(batch.Send(worker(), "held|", true, Clock::now()).ok());
  close(sv_[0]);
  sv_[0] = -1;
  ipc::Result<void> written = batch.Flush(worker());
  ASSERT_FALSE(written.ok());
  EXPECT_EQ(written.error().code, ipc::ErrorCode::kUnavailable);
  EXPECT_TRUE(batch.empty());
}

ipc::Request Render(std::string component) {
  ipc::Request request;
  request.op = ipc::Op::kRender;
  request.component = std::move(component);
  return request;
}

TEST(ComponentCostsTest, OnlyAComponentLastRenderedQuicklyIsExpectedShort) {
  ComponentCosts costs(microseconds(200));
  EXPECT_FALSE(costs.ExpectShort(Render("Card"))) << "never rendered";
  costs.Record("Card", microseconds(50));
  EXPECT_TRUE(costs.ExpectShort(Render("Card")));
  costs.Record("Card", microseconds(200));
  EXPECT_FALSE(costs.ExpectShort(Render("Card"))) << "the last render counts";
  costs.Record("Card", microseconds(20));
  costs.Forget("Card");
  EXPECT_FALSE(costs.ExpectShort(Render("Card"))) << "its last render failed";

  costs.Record("Card", microseconds(20));
  ipc::Request streamed = Render("Card");
  streamed.stream = true;
  EXPECT_FALSE(costs.ExpectShort(streamed)) << "a streamed render's chunks must not wait";
  ipc::Request ping;
  ping.op = ipc::Op::kPing;
  EXPECT_TRUE(costs.ExpectShort(ping));
}

TEST(ComponentCostsTest, TheTableOfNamesIsBounded) {
  ComponentCosts costs(microseconds(200));
  costs.Record("Card", microseconds(20));
  for (std::size_t i = 0; i < ComponentCosts::kMaxComponents; ++i) {
    costs.Record("name" + std::to_string(i), microseconds(20));
  }
  // The table was full when the last name came: it started again with that name alone.
  EXPECT_FALSE(costs.ExpectShort(Render("Card")));
  EXPECT_TRUE(costs.ExpectShort(Render("name" + std::to_string(ComponentCosts::kMaxComponents - 1))));
}

}  // namespace
}  // namespace ssrd::worker
