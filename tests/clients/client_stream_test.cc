// Client::RenderStream against the real ssrd on tests/integration/bundles/streaming.mjs.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "clients/cpp/client.h"
#include "tests/integration/daemon_process.h"

namespace ssrd::client {
namespace {

using namespace std::chrono_literals;
using ssrd::testing::BundlesDir;
using ssrd::testing::DaemonConfig;
using ssrd::testing::DaemonProcess;

class ClientStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    daemon_ = std::make_unique<DaemonProcess>(DaemonConfig{BundlesDir() + "/streaming.mjs", 1, {}});
    ASSERT_TRUE(daemon_->Start()) << daemon_->Stderr();
    auto client = Client::Connect(daemon_->socket_path());
    ASSERT_TRUE(client) << client.error().ToString();
    client_ = std::move(client).value();
  }
  void TearDown() override {
    client_.reset();
    if (daemon_) EXPECT_EQ(daemon_->Stop().exit_code, 0) << daemon_->Stderr();
  }

  std::unique_ptr<DaemonProcess> daemon_;
  std::unique_ptr<Client> client_;
};

TEST_F(ClientStreamTest, PiecesReachTheCallbackInOrderThenTheResult) {
  std::vector<std::string> pieces;
  const auto caller = std::this_thread::get_id();
  RenderOptions options;
  options.hydrate = true;
  auto result = client_->RenderStream(
      "Pieces", R"({"parts":["<a>","<b>","<c>"],"delay_ms":100})",
      [&](std::string_view html) {
        EXPECT_EQ(std::this_thread::get_id(), caller);  // on the calling thread
        pieces.emplace_back(html);
      },
      options);
  ASSERT_TRUE(result) << result.error().ToString();
  EXPECT_EQ(pieces, (std::vector<std::string>{"<a>", "<b>", "<c>"}));
  EXPECT_EQ(result->html, "");
  EXPECT_EQ(result->head, "<title>streamed</title>");
  EXPECT_EQ(result->status, 201u);
  EXPECT_NE(result->script.find(R"("data":{"parts":3})"), std::string::npos) << result->script;
}

TEST_F(ClientStreamTest, AnErrorAfterAPieceIsReturnedAndTheClientGoesOn) {
  std::vector<std::string> pieces;
  auto result = client_->RenderStream(
      "ThrowsMidway", "{}", [&](std::string_view html) { pieces.emplace_back(html); });
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ipc::ErrorCode::kJsError);
  EXPECT_EQ(result.error().message, "Error: stream broke");
  EXPECT_EQ(pieces, (std::vector<std::string>{"<p>before</p>"}));
  auto plain = client_->Render("Plain", "{}");
  ASSERT_TRUE(plain) << plain.error().ToString();
  EXPECT_EQ(plain->html, "<p>plain</p>");
}

TEST_F(ClientStreamTest, TheTimeoutBoundsTheWholeStreamAndCancelsIt) {
  std::vector<std::string> pieces;
  RenderOptions options;
  options.timeout = 500ms;
  auto result = client_->RenderStream(
      "WaitsAfterFirst", "{}", [&](std::string_view html) { pieces.emplace_back(html); }, options);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ipc::ErrorCode::kTimeout);
  EXPECT_EQ(pieces, (std::vector<std::string>{"<p>first</p>"}));
  // The only worker was told the same deadline: it is free for the next render.
  auto plain = client_->Render("Plain", "{}", RenderOptions{.timeout = 5000ms});
  ASSERT_TRUE(plain) << plain.error().ToString();
}

TEST_F(ClientStreamTest, StreamedAndPlainCallsShareOneConnection) {
  std::string page;
  std::thread other([&] {
    for (int i = 0; i < 20; ++i) {
      auto plain = client_->Render("Plain", "{}");
      EXPECT_TRUE(plain && plain->html == "<p>plain</p>");
    }
  });
  for (int i = 0; i < 5; ++i) {
    page.clear();
    auto result = client_->RenderStream("Pieces", R"({"parts":["1","2","3"],"delay_ms":1})",
                                        [&](std::string_view html) { page += html; });
    ASSERT_TRUE(result) << result.error().ToString();
    EXPECT_EQ(page, "123");
  }
  other.join();
}

}  // namespace
}  // namespace ssrd::client
