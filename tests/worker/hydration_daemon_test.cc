// The hydration vectors end to end: a real ssrd daemon (supervisor relaying to a real worker)
// serves tests/vectors/hydration_bundle.mjs, and raw protocol frames ask for each case, the way
// a client library in another language would.
#include <chrono>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "ipc/message.h"
#include "tests/integration/daemon_process.h"
#include "tests/integration/raw_socket.h"

namespace ssrd::worker {
namespace {

std::string VectorPath(const std::string& name) {
  return std::string(SSRD_TEST_VECTORS) + "/" + name;
}

class HydrationDaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    daemon_ = std::make_unique<testing::DaemonProcess>(
        testing::DaemonConfig{VectorPath("hydration_bundle.mjs"), 1, {}});
    ASSERT_TRUE(daemon_->Start());
    auto connection = testing::RawConnection::Connect(daemon_->socket_path());
    ASSERT_TRUE(connection.ok()) << connection.error().ToString();
    connection_.emplace(std::move(connection).value());
  }

  ipc::Reply RoundTrip(const ipc::Request& request) {
    std::string frame;
    ipc::EncodeRequest(request, &frame);
    EXPECT_TRUE(connection_->Write(frame).ok());
    ipc::Result<std::string> payload = connection_->ReadFrame(std::chrono::seconds(30));
    EXPECT_TRUE(payload.ok()) << (payload.ok() ? "" : payload.error().ToString());
    if (!payload.ok()) return {};
    ipc::Result<ipc::Reply> reply = ipc::DecodeReply(payload.value());
    EXPECT_TRUE(reply.ok());
    return reply.ok() ? reply.value() : ipc::Reply{};
  }

  std::unique_ptr<testing::DaemonProcess> daemon_;
  std::optional<testing::RawConnection> connection_;
};

TEST_F(HydrationDaemonTest, EveryVectorThroughTheDaemon) {
  std::ifstream file(VectorPath("hydration.json"));
  ASSERT_TRUE(file);
  std::stringstream text;
  text << file.rdbuf();
  const auto vectors = nlohmann::ordered_json::parse(text.str());
  ASSERT_FALSE(vectors.empty());
  std::uint64_t id = 0;
  for (const auto& vector : vectors) {
    const std::string name = vector.at("name");
    ipc::Request request;
    request.id = ++id;
    request.op = ipc::Op::kRender;
    request.component = vector.at("component").get<std::string>();
    request.props_msgpack = ipc::JsonToMsgpack(vector.at("props").dump()).value();
    request.hydrate = true;
    const auto& options = vector.at("options");
    if (options.contains("hydrate_id")) request.hydrate_id = options["hydrate_id"];
    if (options.contains("hydrate_global")) request.hydrate_global = options["hydrate_global"];
    if (options.contains("nonce")) request.nonce = options["nonce"];
    ipc::Reply reply = RoundTrip(request);
    EXPECT_EQ(reply.id, id) << name;
    ASSERT_TRUE(reply.ok()) << name << ": " << reply.error->ToString();
    EXPECT_EQ(reply.script, vector.at("script").get<std::string>()) << name;

    request.id = ++id;
    request.combine = true;
    ipc::Reply combined = RoundTrip(request);
    ASSERT_TRUE(combined.ok()) << name;
    EXPECT_EQ(combined.html, "<p>" + request.component + "</p>" + reply.script) << name;
    EXPECT_EQ(combined.script, "") << name;
  }
}

TEST_F(HydrationDaemonTest, BadNonceIsABadRequest) {
  // EncodeRequest writes the value as given; the daemon's decoder is what refuses it.
  ipc::Request request;
  request.id = 41;
  request.op = ipc::Op::kRender;
  request.component = "A";
  request.hydrate = true;
  request.nonce = "x\"><script>alert(1)</script>";
  ipc::Reply reply = RoundTrip(request);
  EXPECT_EQ(reply.id, 41u);
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error->code, ipc::ErrorCode::kBadRequest);
  EXPECT_EQ(reply.error->message,
            "field \"nonce\" must be a string matching ^[A-Za-z0-9+/=_-]{1,256}$");
}

}  // namespace
}  // namespace ssrd::worker
