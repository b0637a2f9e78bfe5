// The client against the real ssrd (two workers on tests/integration/bundles/echo.mjs).
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "clients/cpp/client.h"
#include "tests/integration/daemon_process.h"

namespace ssrd::client {
namespace {

using namespace std::chrono_literals;
using ipc::ErrorCode;
using ssrd::testing::BundlesDir;
using ssrd::testing::DaemonConfig;
using ssrd::testing::DaemonProcess;

class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    daemon_ = std::make_unique<DaemonProcess>(DaemonConfig{BundlesDir() + "/echo.mjs", 2, {}});
    ASSERT_TRUE(daemon_->Start());
    auto client = Client::Connect(daemon_->socket_path());
    ASSERT_TRUE(client) << client.error().ToString();
    client_ = std::move(client).value();
  }
  // The client goes first (its reader must not outlive the test), then the daemon is always
  // stopped and reaped, whether or not the test failed.
  void TearDown() override {
    client_.reset();
    if (daemon_) {
      auto status = daemon_->Stop();
      if (daemon_->Stdout().empty()) return;  // never started: Start() already reported why
      EXPECT_TRUE(status.exited && status.exit_code == 0)
          << "ssrd did not exit cleanly on SIGTERM: " << status.ToString() << "\nstderr:\n"
          << daemon_->Stderr();
    }
  }

  std::unique_ptr<DaemonProcess> daemon_;
  std::unique_ptr<Client> client_;
};

TEST_F(ClientTest, Ping) {
  auto pong = client_->Ping();
  EXPECT_TRUE(pong) << pong.error().ToString();
}

TEST_F(ClientTest, RenderReturnsTheBundlesHtml) {
  auto result = client_->Render("Card", R"({"title":"Hi","n":3})");
  ASSERT_TRUE(result) << result.error().ToString();
  EXPECT_EQ(result->html, R"(<p>Card:{"title":"Hi","n":3}</p>)");
  EXPECT_EQ(result->status, 200u);
  EXPECT_TRUE(result->console.empty());
}

TEST_F(ClientTest, StatsReturnsCounters) {
  ASSERT_TRUE(client_->Render("A", "{}"));
  auto stats = client_->Stats();
  ASSERT_TRUE(stats) << stats.error().ToString();
  EXPECT_FALSE(stats->empty());
  for (const auto& [name, value] : *stats) EXPECT_GE(value, 0) << name;
}

TEST_F(ClientTest, ThrowingComponentIsAJsErrorWithMessageAndStack) {
  auto result = client_->Render("Throw", R"({"n":1})");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kJsError);
  EXPECT_EQ(result.error().message, "Error: boom 1");
  EXPECT_NE(result.error().stack.find("echo.mjs"), std::string::npos) << result.error().stack;
  // The worker survives a JS error.
  auto after = client_->Render("After", "{}");
  ASSERT_TRUE(after) << after.error().ToString();
  EXPECT_EQ(after->html, "<p>After:{}</p>");
}

TEST_F(ClientTest, PerCallTimeoutReturnsKTimeoutAndTheClientStillWorks) {
  RenderOptions options;
  options.timeout = 200ms;
  const auto start = std::chrono::steady_clock::now();
  auto slow = client_->Render("Slow", R"({"ms":2000})", options);
  const auto waited = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(slow);
  EXPECT_EQ(slow.error().code, ErrorCode::kTimeout) << slow.error().ToString();
  EXPECT_LT(waited, 1500ms);

  auto fast = client_->Render("Fast", R"({"x":1})");
  ASSERT_TRUE(fast) << fast.error().ToString();
  EXPECT_EQ(fast->html, R"(<p>Fast:{"x":1}</p>)");
  EXPECT_TRUE(client_->Ping());
}

TEST_F(ClientTest, SlowRenderWithinItsTimeoutSucceeds) {
  RenderOptions options;
  options.timeout = 5s;
  auto slow = client_->Render("Slow", R"({"ms":100})", options);
  ASSERT_TRUE(slow) << slow.error().ToString();
  EXPECT_EQ(slow->html, "<p>slow</p>");
}

TEST_F(ClientTest, NextCallReconnectsAfterTheDaemonRestarts) {
  ASSERT_TRUE(client_->Ping());
  auto stopped = daemon_->Stop();
  EXPECT_TRUE(stopped.exited && stopped.exit_code == 0) << stopped.ToString();
  auto down = client_->Ping();
  ASSERT_FALSE(down);
  EXPECT_EQ(down.error().code, ErrorCode::kUnavailable) << down.error().ToString();

  ASSERT_TRUE(daemon_->Start());
  auto result = client_->Render("Again", "{}");
  ASSERT_TRUE(result) << result.error().ToString();
  EXPECT_EQ(result->html, "<p>Again:{}</p>");
}

TEST_F(ClientTest, NextCallReconnectsAfterTheDaemonIsKilled) {
  ASSERT_TRUE(client_->Ping());
  daemon_->Kill();  // SIGKILL: the socket file stays behind, the new daemon must replace it
  ASSERT_TRUE(daemon_->Start());
  auto result = client_->Render("Again", "{}");
  ASSERT_TRUE(result) << result.error().ToString();
  EXPECT_EQ(result->html, "<p>Again:{}</p>");
}

}  // namespace
}  // namespace ssrd::client
