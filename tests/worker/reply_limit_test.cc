// EncodeReplyWithinLimit: a reply over the supervisor's frame limit becomes too_large, with the
// size it would have had, and never a frame the supervisor would refuse.
#include "worker/reply_limit.h"

#include <gtest/gtest.h>

#include <string>

#include "ipc/frame.h"
#include "ipc/message.h"

namespace ssrd::worker {
namespace {

ipc::Reply Decode(const std::string& frame) {
  auto reply = ipc::DecodeReply(std::string_view(frame).substr(ipc::kFrameHeaderBytes));
  EXPECT_TRUE(reply.ok());
  return reply.ok() ? reply.value() : ipc::Reply{};
}

ipc::Reply Page(std::size_t html_bytes) {
  ipc::Reply reply;
  reply.id = 7;
  reply.html = std::string(html_bytes, 'x');
  reply.heap_used = 123456;
  reply.context_resets = 2;
  reply.console.push_back({"log", "rendered"});
  return reply;
}

TEST(ReplyLimitTest, AReplyThatFitsIsWrittenAsItIs) {
  std::string frame, expected;
  ipc::EncodeReply(Page(1000), &expected);
  EXPECT_EQ(EncodeReplyWithinLimit(Page(1000), 4096, &frame), 0u);
  EXPECT_EQ(frame, expected);
  // Exactly at the limit still fits: the limit is the largest payload accepted.
  std::size_t payload = expected.size() - ipc::kFrameHeaderBytes;
  EXPECT_EQ(EncodeReplyWithinLimit(Page(1000), payload, &frame), 0u);
  EXPECT_EQ(EncodeReplyWithinLimit(Page(1000), payload - 1, &frame), payload);
}

TEST(ReplyLimitTest, AReplyOverTheLimitBecomesTooLargeWithItsSizeAndKeepsTheWorkerFacts) {
  std::string full, frame;
  ipc::EncodeReply(Page(5000), &full);
  std::size_t wanted = full.size() - ipc::kFrameHeaderBytes;
  EXPECT_EQ(EncodeReplyWithinLimit(Page(5000), 4096, &frame), wanted);
  EXPECT_LE(frame.size() - ipc::kFrameHeaderBytes, 4096u);
  ipc::Reply reply = Decode(frame);
  EXPECT_EQ(reply.id, 7u);
  ASSERT_TRUE(reply.error);
  EXPECT_EQ(reply.error->code, ipc::ErrorCode::kTooLarge);
  EXPECT_EQ(reply.error->message, "the reply of " + std::to_string(wanted) +
                                      " bytes exceeds the limit of 4096 bytes (--max-frame-bytes)");
  EXPECT_EQ(reply.heap_used, 123456u);
  EXPECT_EQ(reply.context_resets, 2u);
  ASSERT_EQ(reply.console.size(), 1u);
  EXPECT_EQ(reply.console[0].text, "rendered");
}

TEST(ReplyLimitTest, AConsoleTooBigForTheErrorIsLeftOut) {
  ipc::Reply reply = Page(10);
  reply.console.push_back({"log", std::string(3000, 'c')});
  std::string frame;
  EXPECT_GT(EncodeReplyWithinLimit(reply, 1024, &frame), 3000u);
  EXPECT_LE(frame.size() - ipc::kFrameHeaderBytes, 1024u);
  ipc::Reply refused = Decode(frame);
  ASSERT_TRUE(refused.error);
  EXPECT_EQ(refused.error->code, ipc::ErrorCode::kTooLarge);
  EXPECT_TRUE(refused.console.empty());
}

}  // namespace
}  // namespace ssrd::worker
