// The engine's side of issue 11: ArrayBuffer memory counted against the heap limit, and promise
// rejections nobody handled reported in the render's console.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "isolates/engine.h"
#include "tests/isolates/engine_test_util.h"

namespace ssrd::isolates {
namespace {

using testing::MustCreate;
using testing::Props;

class EngineHardeningTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_ = MustCreate("hardening.mjs", 64);
    ASSERT_NE(engine_, nullptr);
  }
  ipc::Result<RenderOutput> Render(std::string_view component, const std::string& props = "{}") {
    std::string bytes = Props(props);
    console_.clear();
    return engine_->Render({component, bytes, "/"}, &console_);
  }

  std::unique_ptr<Engine> engine_;
  std::vector<ipc::ConsoleLine> console_;
};

TEST_F(EngineHardeningTest, ArrayBuffersPastTheHeapLimitFailInJsAndTheEngineRecovers) {
  auto within = Render("Buffers", R"({"mib":48})");
  ASSERT_TRUE(within.ok()) << within.error().ToString();
  EXPECT_EQ(within->html, "Buffers:3");

  auto over = Render("Buffers", R"({"mib":128})");
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().code, ipc::ErrorCode::kJsError);
  EXPECT_EQ(over.error().message,
            "RangeError: Array buffer allocation failed (ArrayBuffer memory is limited to the "
            "heap limit of 64 MB)");
  EXPECT_FALSE(engine_->poisoned());

  // A render may catch the RangeError like any other; its result stands.
  auto caught = Render("CatchesBufferError", R"({"mib":100})");
  ASSERT_TRUE(caught.ok()) << caught.error().ToString();
  EXPECT_EQ(caught->html, "caught RangeError");

  ASSERT_TRUE(engine_->PrepareNextRender().ok());
  auto again = Render("Buffers", R"({"mib":48})");
  ASSERT_TRUE(again.ok()) << again.error().ToString();
  EXPECT_EQ(again->html, "Buffers:3");
}

TEST_F(EngineHardeningTest, UnhandledRejectionsAreConsoleErrors) {
  auto out = Render("Rejects", R"({"count":2})");
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  ASSERT_EQ(console_.size(), 2u);
  EXPECT_EQ(console_[0].level, "error");
  EXPECT_EQ(console_[0].text, "unhandled promise rejection: Error: lost 0");
  EXPECT_EQ(console_[1].text, "unhandled promise rejection: Error: lost 1");
  EXPECT_EQ(engine_->last_unhandled_rejections(),
            (std::vector<std::string>{"Error: lost 0", "Error: lost 1"}));

  ASSERT_TRUE(Render("RejectsString").ok());
  ASSERT_EQ(console_.size(), 1u);
  EXPECT_EQ(console_[0].text, "unhandled promise rejection: just a string");

  // Each render reports its own; one that handles its rejection in time reports none.
  auto later = Render("CaughtLater");
  ASSERT_TRUE(later.ok()) << later.error().ToString();
  EXPECT_EQ(later->html, "CaughtLater");
  EXPECT_TRUE(console_.empty()) << console_[0].text;
  EXPECT_TRUE(engine_->last_unhandled_rejections().empty());
}

TEST_F(EngineHardeningTest, AFloodOfRejectionsIsCountedNotKept) {
  ASSERT_TRUE(Render("Rejects", R"({"count":1000})").ok());
  ASSERT_EQ(console_.size(), 16u);
  EXPECT_EQ(console_.back().text, "unhandled promise rejection: Error: lost 15 \xe2\x80\xa6 and 984 more");
}

TEST_F(EngineHardeningTest, ARenderThatCanNeverFinishKeepsItsRejection) {
  auto stuck = Render("RejectsAndSticks");
  ASSERT_FALSE(stuck.ok());
  EXPECT_EQ(stuck.error().code, ipc::ErrorCode::kTimeout);
  ASSERT_EQ(console_.size(), 1u);
  EXPECT_EQ(console_[0].text, "unhandled promise rejection: TypeError: dropped");
  EXPECT_EQ(engine_->last_unhandled_rejections(), (std::vector<std::string>{"TypeError: dropped"}));
}

}  // namespace
}  // namespace ssrd::isolates
