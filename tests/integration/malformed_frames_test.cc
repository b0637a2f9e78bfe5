// A connection that sends bytes which are not a valid message gets one error reply and is
// closed; connections rendering at the same time never notice.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "clients/cpp/client.h"
#include "ipc/frame.h"
#include "ipc/message.h"
#include "tests/integration/daemon_process.h"
#include "tests/integration/raw_socket.h"

namespace ssrd::testing {
namespace {

using ipc::ErrorCode;
using ssrd::client::Client;

std::string Framed(std::string_view payload) {
  std::string out;
  ipc::AppendFrame(&out, payload);
  return out;
}

std::string Msgpack(std::string_view json) {
  auto bytes = ipc::JsonToMsgpack(json);
  EXPECT_TRUE(bytes) << json;
  return bytes ? *bytes : std::string();
}

struct BadInput {
  std::string name;
  std::string bytes;    // exactly what is written
  ErrorCode code;
  std::string payload;  // for bad_request: the frame payload, to learn the expected message
  std::string announced;  // for too_large: the length the header announced, in decimal
};

// The reply the daemon must send: for a payload that does not decode, the message and id are the
// ones ipc::DecodeRequest reports (the daemon decodes with it, and so must agree to the byte).
void ExpectErrorReply(RawConnection& conn, const BadInput& input) {
  SCOPED_TRACE(input.name);
  auto payload = conn.ReadFrame(std::chrono::seconds(10));
  ASSERT_TRUE(payload) << "no error reply: " << payload.error().ToString();
  auto reply = ipc::DecodeReply(*payload);
  ASSERT_TRUE(reply) << reply.error().ToString();
  ASSERT_FALSE(reply->ok()) << "expected an error reply";
  EXPECT_EQ(ipc::ErrorCodeName(reply->error->code), ipc::ErrorCodeName(input.code))
      << reply->error->ToString();
  if (input.code == ErrorCode::kBadRequest) {
    ipc::DecodeFailure failure;
    ASSERT_FALSE(ipc::DecodeRequest(input.payload, &failure).has_value());
    EXPECT_EQ(reply->error->message, failure.error.message);
    EXPECT_EQ(reply->id, failure.id.value_or(0));
  } else {
    EXPECT_NE(reply->error->message.find(input.announced), std::string::npos)
        << "the message should name the announced length: " << reply->error->message;
    EXPECT_EQ(reply->id, 0u);
  }
  EXPECT_TRUE(conn.WaitForClose(std::chrono::seconds(10))) << "connection left open";
}

TEST(MalformedFramesTest, BadConnectionsGetTheirErrorAndCloseWhileOthersRenderUndisturbed) {
  constexpr int kRenderers = 8;
  DaemonProcess daemon(DaemonConfig{BundlesDir() + "/echo.mjs", 2, {}});
  ASSERT_TRUE(daemon.Start());

  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, bad{0};
  std::mutex mu;
  std::vector<std::string> problems;
  std::vector<std::thread> renderers;
  for (int t = 0; t < kRenderers; ++t) {
    renderers.emplace_back([&, t] {
      auto client = Client::Connect(daemon.socket_path());
      if (!client) {
        ++bad;
        std::lock_guard<std::mutex> lock(mu);
        problems.push_back(client.error().ToString());
        return;
      }
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
      for (int i = 0; !stop && std::chrono::steady_clock::now() < deadline; ++i) {
        const std::string props =
            "{\"thread\":" + std::to_string(t) + ",\"seq\":" + std::to_string(i) + "}";
        auto result = (*client)->Render("Steady", props);
        if (result && result->html == "<p>Steady:" + props + "</p>") {
          ++ok;
          continue;
        }
        ++bad;
        std::lock_guard<std::mutex> lock(mu);
        problems.push_back(result ? "wrong html " + result->html : result.error().ToString());
      }
    });
  }
  // Let every renderer get going before the bad connections arrive.
  const auto warm_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (ok < kRenderers * 5 && std::chrono::steady_clock::now() < warm_deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }

  ipc::Request render;
  render.id = 5;
  render.op = ipc::Op::kRender;
  render.component = "Steady";
  std::string render_frame;
  ipc::EncodeRequest(render, &render_frame);
  const std::string render_payload = render_frame.substr(ipc::kFrameHeaderBytes);
  const std::string truncated = render_payload.substr(0, render_payload.size() / 2);

  std::string one_gib;
  one_gib.push_back('\x40');
  one_gib.append(3, '\0');
  one_gib += "and a little of the promised payload";

  const std::vector<BadInput> inputs = {
      // An HTTP client pointed at the socket: "GET " read as a length is ~1.1 GB.
      {"garbage bytes", "GET / HTTP/1.1\r\nHost: ssrd\r\n\r\n", ErrorCode::kTooLarge, "",
       std::to_string(0x47455420u)},
      {"invalid msgpack", Framed("\xc1\xc1\xc1"), ErrorCode::kBadRequest, "\xc1\xc1\xc1", ""},
      {"truncated msgpack", Framed(truncated), ErrorCode::kBadRequest, truncated, ""},
      {"not a map", Framed("\x2a"), ErrorCode::kBadRequest, "\x2a", ""},
      {"map without id", Framed(Msgpack(R"({"op":"ping"})")), ErrorCode::kBadRequest,
       Msgpack(R"({"op":"ping"})"), ""},
      {"frame announcing 1 GiB", one_gib, ErrorCode::kTooLarge, "", "1073741824"},
      // The id is readable here, so the error reply carries it.
      {"unknown op", Framed(Msgpack(R"({"id":77,"op":"dance"})")), ErrorCode::kBadRequest,
       Msgpack(R"({"id":77,"op":"dance"})"), ""},
  };
  for (const auto& input : inputs) {
    auto conn = RawConnection::Connect(daemon.socket_path());
    ASSERT_TRUE(conn) << conn.error().ToString();
    ASSERT_TRUE(conn->Write(input.bytes)) << input.name;
    ExpectErrorReply(*conn, input);
  }

  stop = true;
  for (auto& thread : renderers) thread.join();
  EXPECT_EQ(bad.load(), 0);
  for (std::size_t i = 0; i < problems.size() && i < 5; ++i) ADD_FAILURE() << problems[i];
  EXPECT_GE(ok.load(), kRenderers * 5);

  auto client = Client::Connect(daemon.socket_path());
  ASSERT_TRUE(client) << client.error().ToString();
  auto pong = (*client)->Ping();
  EXPECT_TRUE(pong) << pong.error().ToString();
}

}  // namespace
}  // namespace ssrd::testing
