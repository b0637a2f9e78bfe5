#include "isolates/console_capture.h"

#include <gtest/gtest.h>

namespace ssrd::isolates {
namespace {

TEST(ConsoleCaptureTest, CollectsLinesOnlyBetweenBeginAndEnd) {
  ConsoleCapture capture;
  std::vector<ipc::ConsoleLine> lines;
  capture.Add("log", "before");  // no sink yet: discarded
  capture.Begin(&lines);
  capture.Add("warn", "w");
  capture.End();
  capture.Add("log", "after");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].level, "warn");
  EXPECT_EQ(lines[0].text, "w");
}

TEST(ConsoleCaptureTest, DropsPastTheLineLimitAndSaysHowMany) {
  ConsoleCapture capture;
  std::vector<ipc::ConsoleLine> lines;
  capture.Begin(&lines);
  for (std::size_t i = 0; i < ConsoleCapture::kMaxLines + 5; ++i) capture.Add("log", "x");
  capture.End();
  ASSERT_EQ(lines.size(), ConsoleCapture::kMaxLines + 1);
  EXPECT_EQ(lines.back().level, "warn");
  EXPECT_EQ(lines.back().text.rfind("5 console lines dropped", 0), 0u) << lines.back().text;

  // The limits are per Begin().
  std::vector<ipc::ConsoleLine> next;
  capture.Begin(&next);
  capture.Add("log", "y");
  capture.End();
  EXPECT_EQ(next.size(), 1u);
}

TEST(ConsoleCaptureTest, DropsPastTheByteLimit) {
  ConsoleCapture capture;
  std::vector<ipc::ConsoleLine> lines;
  capture.Begin(&lines);
  capture.Add("log", std::string(ConsoleCapture::kMaxBytes - 1, 'a'));
  capture.Add("log", "bc");
  capture.Add("log", "d");
  capture.End();
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[1].text, "d");
  EXPECT_EQ(lines[2].text.rfind("1 console lines dropped", 0), 0u);
}

}  // namespace
}  // namespace ssrd::isolates
