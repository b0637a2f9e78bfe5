// The hydration vectors end to end: a real ssrd daemon (supervisor relaying to a real worker)
// serves tests/vectors/hydration_bundle.mjs, and raw protocol frames ask for each case, the way
// a client library in another language would.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "ipc/fd_io.h"
#include "ipc/frame.h"
#include "ipc/message.h"
#include "tests/integration/daemon_process.h"

namespace ssrd::worker {
namespace {

std::string VectorPath(const std::string& name) {
  return std::string(SSRD_TEST_VECTORS) + "/" + name;
}

int Connect(const std::string& path) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

class HydrationDaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    daemon_ = std::make_unique<testing::DaemonProcess>(
        testing::DaemonConfig{VectorPath("hydration_bundle.mjs"), 1, {}});
    ASSERT_TRUE(daemon_->Start());
    fd_ = Connect(daemon_->socket_path());
    ASSERT_GE(fd_, 0);
  }
  void TearDown() override {
    if (fd_ >= 0) close(fd_);
  }

  ipc::Reply RoundTrip(const ipc::Request& request) {
    std::string frame;
    ipc::EncodeRequest(request, &frame);
    EXPECT_TRUE(ipc::WriteAll(fd_, frame).ok());
    std::string payload;
    ipc::Result<void> read = ipc::ReadFrame(fd_, &decoder_, &payload);
    EXPECT_TRUE(read.ok()) << (read.ok() ? "" : read.error().ToString());
    if (!read.ok()) return {};
    ipc::Result<ipc::Reply> reply = ipc::DecodeReply(payload);
    EXPECT_TRUE(reply.ok());
    return reply.ok() ? reply.value() : ipc::Reply{};
  }

  std::unique_ptr<testing::DaemonProcess> daemon_;
  int fd_ = -1;
  ipc::FrameDecoder decoder_;
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
