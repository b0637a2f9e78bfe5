// React's streaming renderer through the real daemon: renderToReadableStream with a Suspense
// boundary whose data arrives later. The shell reaches the client before the data resolves, and
// the whole streamed page equals what Node streams from the same bundle, byte for byte.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/integration/daemon_process.h"
#include "tests/integration/raw_socket.h"
#include "tests/integration/supervision_support.h"

namespace ssrd::testing {
namespace {

using std::chrono::seconds;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

ipc::Request PageRequest(std::uint64_t id, int wait_ms) {
  ipc::Request request = RenderRequest(
      id, "Page", R"({"name":"Lamp","price":"12 €","wait_ms":)" + std::to_string(wait_ms) + "}");
  request.stream = true;
  return request;
}

class ReactStreamingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    daemon_.emplace(DaemonConfig{SSRD_TEST_REACT_STREAMING_BUNDLE, 1});
    ASSERT_TRUE(daemon_->Start()) << daemon_->Stderr();
    auto conn = RawConnection::Connect(daemon_->socket_path());
    ASSERT_TRUE(conn.ok());
    conn_.emplace(std::move(conn).value());
  }
  void TearDown() override {
    conn_.reset();
    if (daemon_) {
      EXPECT_EQ(daemon_->Stop().exit_code, 0) << daemon_->Stderr();
    }
  }
  bool Send(const ipc::Request& request) {
    std::string frame;
    ipc::EncodeRequest(request, &frame);
    return conn_->Write(frame).ok();
  }
  // The next frame, decoded.
  ipc::Reply Next() {
    auto payload = conn_->ReadFrame(seconds(20));
    EXPECT_TRUE(payload.ok()) << payload.error().ToString();
    if (!payload.ok()) return {};
    auto reply = ipc::DecodeReply(*payload);
    EXPECT_TRUE(reply.ok());
    return reply.ok() ? std::move(reply).value() : ipc::Reply{};
  }

  std::optional<DaemonProcess> daemon_;
  std::optional<RawConnection> conn_;
};

TEST_F(ReactStreamingTest, TheShellArrivesBeforeTheDataResolves) {
  // The price's data comes after 60 s: everything sent before that is the shell.
  ASSERT_TRUE(Send(PageRequest(1, 60000)));
  ipc::Reply first = Next();
  ASSERT_TRUE(first.chunk) << (first.error ? first.error->ToString() : "a final reply");
  EXPECT_EQ(first.html.rfind("<!DOCTYPE html><html><head>", 0), 0u) << first.html;
  EXPECT_NE(first.html.find("Loading price…"), std::string::npos) << first.html;
  EXPECT_EQ(first.html.find("12 €"), std::string::npos) << first.html;
  ipc::Request cancel;
  cancel.id = 2;
  cancel.op = ipc::Op::kCancel;
  cancel.target_id = 1;
  ASSERT_TRUE(Send(cancel));
  for (;;) {
    ipc::Reply next = Next();
    if (next.id == 1 && !next.chunk) {
      ASSERT_FALSE(next.ok());
      EXPECT_EQ(next.error->code, ipc::ErrorCode::kCancelled);
      break;
    }
  }
}

TEST_F(ReactStreamingTest, TheStreamedPageIsNodesByteForByte) {
  const std::string node_page = ReadFile(SSRD_TEST_REACT_STREAMING_NODE_PAGE);
  ASSERT_FALSE(node_page.empty());
  ipc::Request request = PageRequest(1, 5);
  request.hydrate = true;
  ASSERT_TRUE(Send(request));
  // How many chunks come depends on whether the 5 ms timer is still ahead when React waits for
  // it (TheShellArrivesBeforeTheDataResolves checks the early shell); the page may not.
  std::string page;
  for (;;) {
    ipc::Reply frame = Next();
    if (frame.chunk) {
      page += frame.html;
      continue;
    }
    ASSERT_TRUE(frame.ok()) << frame.error->ToString();
    page += frame.html;
    EXPECT_NE(frame.script.find(R"("data":{"name":"Lamp"})"), std::string::npos) << frame.script;
    break;
  }
  EXPECT_EQ(page, node_page);
  // The same bundle answers a request that did not ask for a stream with the whole page.
  auto whole = Call(*conn_, RenderRequest(3, "Page", R"({"name":"Lamp","price":"12 €","wait_ms":5})"));
  ASSERT_TRUE(whole && whole->ok());
  EXPECT_EQ(whole->html, node_page);
}

}  // namespace
}  // namespace ssrd::testing
