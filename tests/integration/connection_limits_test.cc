// Issue 11.4 against a real daemon: a cap on connections (the next one gets one `overloaded` frame
// and is closed, logged at most once per second), an idle timeout that spares connections with a
// request in flight, and the open-file limit raised at start and respected. And issue 11.9: props
// with a key JS objects cannot have are a bad request, answered by the daemon itself.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "ipc/message.h"
#include "tests/integration/daemon_process.h"
#include "tests/integration/raw_socket.h"
#include "tests/integration/supervision_support.h"

namespace ssrd::testing {
namespace {

using ipc::ErrorCode;

// The error reply the daemon sent first on `conn`, or nullopt (with a failure).
std::optional<ipc::Error> ErrorFrame(RawConnection& conn, std::uint64_t* id) {
  auto payload = conn.ReadFrame(std::chrono::seconds(10));
  EXPECT_TRUE(payload) << payload.error().ToString();
  if (!payload) return std::nullopt;
  auto reply = ipc::DecodeReply(*payload);
  EXPECT_TRUE(reply) << reply.error().ToString();
  if (!reply || reply->ok()) return std::nullopt;
  *id = reply->id;
  return *reply->error;
}

std::size_t Count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// "Max open files  SOFT  HARD  files" from /proc/PID/limits.
std::pair<std::string, std::string> OpenFileLimits(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/limits");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("Max open files", 0) != 0) continue;
    std::istringstream fields(line.substr(14));
    std::string soft, hard;
    fields >> soft >> hard;
    return {soft, hard};
  }
  return {};
}

TEST(ConnectionLimitsTest, TheSixthConnectionGetsOverloadedAndTheFiveStillRender) {
  TempDir dir;
  std::string bundle = CopyBundle(dir, "faults.mjs");
  DaemonProcess daemon(DaemonConfig{bundle, 1, {"--max-connections", "5"}});
  ASSERT_TRUE(daemon.Start());
  std::vector<RawConnection> five;
  for (int i = 0; i < 5; ++i) {
    auto conn = RawConnection::Connect(daemon.socket_path());
    ASSERT_TRUE(conn);
    ipc::Request ping;
    ping.id = 1;
    ping.op = ipc::Op::kPing;
    ASSERT_TRUE(Call(*conn, ping)) << "connection " << i + 1 << " is served";
    five.push_back(std::move(conn).value());
  }
  // A burst past the limit: each gets the frame, the log gets one line for all of them.
  for (int i = 0; i < 3; ++i) {
    auto sixth = RawConnection::Connect(daemon.socket_path());
    ASSERT_TRUE(sixth) << "connect() itself succeeds: the daemon accepts, answers and closes";
    std::uint64_t id = 99;
    auto error = ErrorFrame(*sixth, &id);
    ASSERT_TRUE(error);
    EXPECT_EQ(id, 0u);
    EXPECT_EQ(ipc::ErrorCodeName(error->code), "overloaded");
    EXPECT_EQ(error->message,
              "too many connections: the limit of 5 connections (--max-connections) is reached; "
              "try again later");
    EXPECT_TRUE(sixth->WaitForClose(std::chrono::seconds(10)));
  }
  for (int i = 0; i < 5; ++i) {
    auto echo = Call(five[i], RenderRequest(10 + i, "Echo", R"({"n":1})"));
    ASSERT_TRUE(echo);
    ASSERT_TRUE(echo->ok()) << echo->error->ToString();
    EXPECT_EQ(echo->html, R"(<p>Echo:{"n":1}</p>)");
  }
  // Closing one frees its place (once the daemon has seen the close: until then, refusals).
  five.pop_back();
  ASSERT_TRUE(WaitFor(
      [&] {
        auto conn = RawConnection::Connect(daemon.socket_path());
        std::string frame;
        ipc::EncodeRequest(RenderRequest(1, "Echo", "{}"), &frame);
        if (!conn || !conn->Write(frame)) return false;
        auto payload = conn->ReadFrame(std::chrono::seconds(5));
        if (!payload) return false;
        auto reply = ipc::DecodeReply(*payload);
        return reply && reply->id == 1 && reply->ok();
      },
      std::chrono::seconds(10)));
  // Logged once for the burst (one line per second at most), with the count.
  EXPECT_TRUE(WaitFor([&] { return daemon.Stderr().find("too many connections: 1 refused") !=
                                   std::string::npos; },
                      std::chrono::seconds(5)))
      << daemon.Stderr();
  EXPECT_LE(Count(daemon.Stderr(), "too many connections:"), 2u) << daemon.Stderr();
}

TEST(ConnectionLimitsTest, AnIdleConnectionIsClosedAndOneWithARenderInFlightIsNot) {
  TempDir dir;
  std::string bundle = CopyBundle(dir, "faults.mjs");
  DaemonProcess daemon(DaemonConfig{bundle, 1, {"--idle-timeout-ms", "300", "--log-level",
                                                "debug"}});
  ASSERT_TRUE(daemon.Start());
  auto idle = RawConnection::Connect(daemon.socket_path());
  auto busy = RawConnection::Connect(daemon.socket_path());
  ASSERT_TRUE(idle && busy);
  ASSERT_TRUE(Call(*idle, RenderRequest(1, "Echo", "{}")));
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(busy->Write([&] {
    std::string frame;
    ipc::EncodeRequest(RenderRequest(2, "Spin", R"({"ms":1500})"), &frame);
    return frame;
  }()));
  EXPECT_TRUE(idle->WaitForClose(std::chrono::seconds(5))) << "the idle connection stayed open";
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(250));
  auto payload = busy->ReadFrame(std::chrono::seconds(10));
  ASSERT_TRUE(payload) << "the connection with a render in flight was closed: "
                       << payload.error().ToString();
  auto reply = ipc::DecodeReply(*payload);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->id, 2u);
  EXPECT_TRUE(reply->ok()) << reply->error->ToString();
  EXPECT_NE(daemon.Stderr().find("with nothing in flight; closing it (--idle-timeout-ms)"),
            std::string::npos)
      << daemon.Stderr();
  // The daemon keeps serving.
  auto fresh = RawConnection::Connect(daemon.socket_path());
  ASSERT_TRUE(fresh);
  auto echo = Call(*fresh, RenderRequest(3, "Echo", "{}"));
  ASSERT_TRUE(echo && echo->ok());
}

// Service managers often start daemons with a soft limit of 1024; ssrd raises it to the hard limit
// and serves no more connections than the rest leaves beside what its workers need.
TEST(ConnectionLimitsTest, TheSoftFdLimitIsRaisedAndBoundsTheConnections) {
  TempDir dir;
  std::string bundle = CopyBundle(dir, "faults.mjs");
  DaemonConfig config{bundle, 2, {"--log-level", "debug"}};
  // Soft first: a hard limit below the soft one is refused.
  config.wrapper = {"/bin/sh", "-c", "ulimit -Sn 100 && ulimit -Hn 200 && exec \"$@\"", "sh"};
  DaemonProcess daemon(config);
  ASSERT_TRUE(daemon.Start());
  auto [soft, hard] = OpenFileLimits(daemon.pid());
  EXPECT_EQ(soft, "200");
  EXPECT_EQ(hard, "200");
  const std::string err = daemon.Stderr();
  EXPECT_NE(err.find("open files: soft limit 200 (was 100), hard limit 200"), std::string::npos)
      << err;
  // 200 - (64 + 8 per worker) = 120.
  EXPECT_NE(err.find("serving at most 120 connections: 200 open files allowed, 80 kept for 2 "
                     "workers (--max-connections 4096)"),
            std::string::npos)
      << err;
  auto conn = RawConnection::Connect(daemon.socket_path());
  ASSERT_TRUE(conn);
  auto echo = Call(*conn, RenderRequest(1, "Echo", "{}"));
  ASSERT_TRUE(echo && echo->ok());
}

// Issue 11.9: props keys that are nil, binary or a map used to reach the worker, which answered
// bad_request and left the connection open although protocol.md said any map was accepted. Now
// the daemon refuses them itself, like any malformed request: the reply, then the close.
TEST(ConnectionLimitsTest, PropsWithANilBinaryOrMapKeyAreABadRequestAndCloseTheConnection) {
  TempDir dir;
  std::string bundle = CopyBundle(dir, "faults.mjs");
  DaemonProcess daemon(DaemonConfig{bundle, 1});
  ASSERT_TRUE(daemon.Start());
  struct Case {
    std::string key;  // MessagePack encoding of the key
    std::string type;
  };
  const std::vector<Case> cases = {{"\xc0", "nil"},
                                   {std::string("\xc4\x01k", 3), "binary"},
                                   {"\x81\xa1" "a" "\x01", "map"}};
  auto other = RawConnection::Connect(daemon.socket_path());
  ASSERT_TRUE(other);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.type);
    auto conn = RawConnection::Connect(daemon.socket_path());
    ASSERT_TRUE(conn);
    // {"id":7,"op":"render","component":"Echo","props":{KEY:1}}
    std::string payload = "\x84\xa2" "id" "\x07\xa2" "op" "\xa6" "render" "\xa9" "component"
                          "\xa4" "Echo" "\xa5" "props" "\x81";
    payload += c.key + "\x01";
    std::string frame;
    ipc::AppendFrame(&frame, payload);
    ASSERT_TRUE(conn->Write(frame));
    std::uint64_t id = 0;
    auto error = ErrorFrame(*conn, &id);
    ASSERT_TRUE(error);
    EXPECT_EQ(id, 7u);
    EXPECT_EQ(ipc::ErrorCodeName(error->code), "bad_request");
    EXPECT_EQ(error->message, "props map keys must be strings or integers, got " + c.type);
    EXPECT_TRUE(conn->WaitForClose(std::chrono::seconds(10))) << "the connection stayed open";
  }
  // Integer keys are fine (they become "1" in JS), and other connections never noticed.
  auto echo = Call(*other, RenderRequest(8, "Echo", R"({"1":"one"})"));
  ASSERT_TRUE(echo);
  ASSERT_TRUE(echo->ok()) << echo->error->ToString();
  EXPECT_EQ(echo->html, R"(<p>Echo:{"1":"one"}</p>)");
  ipc::Reply stats = Stats(daemon.socket_path());
  EXPECT_EQ(stats.stats["served"], 1) << "no bad props reached a worker";
}

}  // namespace
}  // namespace ssrd::testing
