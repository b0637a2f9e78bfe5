#include "pool/socket_server.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <thread>

#include "ipc/fd_io.h"
#include "ipc/frame.h"
#include "ipc/message.h"
#include "loop_fixture.h"

namespace ssrd::pool::testing {
namespace {

using ipc::ErrorCode;

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

// True when the peer closes `fd` (end of file or reset) within `bound_ms`; frames it sent first
// are skipped.
bool ClosedWithin(int fd, int bound_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(bound_ms);
  char buf[4096];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left)) <= 0) continue;
    ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno == ECONNRESET)) return true;
  }
}

// A blocking client, used from a thread while the test thread runs the loop. Reads give up after
// 10 s, so a server that never answers fails the test instead of hanging it.
struct Client {
  explicit Client(const std::string& path) : fd(Connect(path)) {
    timeval tv{10, 0};
    if (fd >= 0) setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }
  ~Client() {
    if (fd >= 0) close(fd);
  }
  void SendPayload(const std::string& payload) {
    std::string framed;
    ipc::AppendFrame(&framed, payload);
    EXPECT_TRUE(ipc::WriteAll(fd, framed).ok());
  }
  void Send(const ipc::Request& r) {
    std::string framed;
    ipc::EncodeRequest(r, &framed);
    EXPECT_TRUE(ipc::WriteAll(fd, framed).ok());
  }
  std::optional<ipc::Reply> Read() {
    std::string payload;
    if (!ipc::ReadFrame(fd, &decoder, &payload).ok()) return std::nullopt;
    auto reply = ipc::DecodeReply(payload);
    EXPECT_TRUE(reply.ok()) << reply.error().ToString();
    if (!reply.ok()) return std::nullopt;
    return reply.value();
  }
  // True when the server closed the connection (end of file, nothing more to read).
  bool ClosedByServer() {
    std::string payload;
    auto r = ipc::ReadFrame(fd, &decoder, &payload);
    return !r.ok() && r.error().code == ErrorCode::kUnavailable;
  }
  ipc::Reply Call(const ipc::Request& r) {
    Send(r);
    auto reply = Read();
    EXPECT_TRUE(reply.has_value());
    return reply.value_or(ipc::Reply{});
  }
  int fd;
  ipc::FrameDecoder decoder;
};

ipc::Request Op(std::uint64_t id, ipc::Op op) {
  ipc::Request r;
  r.id = id;
  r.op = op;
  return r;
}

class SocketServerTest : public LoopTest {
 protected:
  void SetUp() override {
    LoopTest::SetUp();
    char tmpl[] = "/tmp/ssrd-pool-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/ssrd.sock";
  }
  void TearDown() override {
    if (server_) server_->Close();
    server_.reset();
    LoopTest::TearDown();
    std::filesystem::remove_all(dir_);
  }

  void Listen(std::size_t max_frame_bytes = ipc::kDefaultMaxFrameBytes) {
    auto server = SocketServer::Listen(&loop_, path_, *pool_, max_frame_bytes);
    ASSERT_TRUE(server.ok()) << server.error().ToString();
    server_ = std::move(server).value();
  }
  void ListenWith(const SocketServerOptions& options) {
    auto server = SocketServer::Listen(&loop_, path_, *pool_, options);
    ASSERT_TRUE(server.ok()) << server.error().ToString();
    server_ = std::move(server).value();
  }

  // Runs `body` on a client thread while this thread runs the loop.
  void WithClients(const std::function<void()>& body) {
    std::atomic<bool> done{false};
    std::thread t([&] {
      body();
      done = true;
    });
    bool finished = RunUntil([&] { return done.load(); }, 20000);
    t.join();
    EXPECT_TRUE(finished) << "client thread timed out";
  }

  std::string dir_, path_;
  std::unique_ptr<SocketServer> server_;
};

TEST_P(SocketServerTest, AnswersPingWithoutAWorkerAndRendersThroughThePool) {
  StartPool("echo.mjs", 1);
  Listen();
  WithClients([&] {
    Client c(path_);
    ASSERT_GE(c.fd, 0);
    ipc::Reply ping = c.Call(Op(77, ipc::Op::kPing));
    EXPECT_EQ(ping.id, 77u);
    EXPECT_TRUE(ping.ok());
    ipc::Reply render = c.Call(Render(78, "Card", R"({"t":"hi"})"));
    EXPECT_EQ(render.id, 78u);
    ASSERT_TRUE(render.ok()) << render.error->ToString();
    EXPECT_EQ(render.html, R"(<p>Card:{"t":"hi"}</p>)");
    ipc::Reply stats = c.Call(Op(79, ipc::Op::kStats));
    EXPECT_EQ(stats.id, 79u);
    EXPECT_EQ(stats.stats["workers"], 1);
    EXPECT_EQ(stats.stats["served"], 1) << "the ping must not have used a worker";
    EXPECT_EQ(stats.stats["connections"], 1);
  });
}

TEST_P(SocketServerTest, MalformedFrameClosesOnlyItsConnection) {
  StartPool("echo.mjs", 1);
  Listen();
  WithClients([&] {
    Client good(path_), bad_id(path_), garbage(path_);
    ASSERT_TRUE(good.Call(Op(1, ipc::Op::kPing)).ok());

    auto unknown_op = ipc::JsonToMsgpack(R"({"id":9,"op":"bogus"})");
    ASSERT_TRUE(unknown_op.ok());
    bad_id.SendPayload(unknown_op.value());
    auto r1 = bad_id.Read();
    ASSERT_TRUE(r1.has_value());
    EXPECT_EQ(r1->id, 9u) << "the id was readable";
    ASSERT_FALSE(r1->ok());
    EXPECT_EQ(r1->error->code, ErrorCode::kBadRequest);
    EXPECT_TRUE(bad_id.ClosedByServer());

    garbage.SendPayload(std::string("\xc1", 1));  // a byte MessagePack never uses
    auto r2 = garbage.Read();
    ASSERT_TRUE(r2.has_value());
    EXPECT_EQ(r2->id, 0u);
    EXPECT_EQ(r2->error->code, ErrorCode::kBadRequest);
    EXPECT_TRUE(garbage.ClosedByServer());

    EXPECT_TRUE(good.Call(Op(2, ipc::Op::kPing)).ok());
    ipc::Reply render = good.Call(Render(3, "Still", R"({"ok":true})"));
    ASSERT_TRUE(render.ok());
    EXPECT_EQ(render.html, R"(<p>Still:{"ok":true}</p>)");
  });
}

TEST_P(SocketServerTest, OversizedFrameGetsTooLargeAndCloses) {
  StartPool("echo.mjs", 1);
  Listen(4096);
  WithClients([&] {
    Client c(path_);
    const char header[4] = {0x00, 0x10, 0x00, 0x00};  // announces 1 MiB
    ASSERT_TRUE(ipc::WriteAll(c.fd, std::string(header, 4)).ok());
    auto r = c.Read();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->id, 0u);
    EXPECT_EQ(r->error->code, ErrorCode::kTooLarge);
    EXPECT_TRUE(c.ClosedByServer());
  });
}

TEST_P(SocketServerTest, CancelAnswersQueuedTargetsAndForwardsRunningOnes) {
  StartPool("spin.mjs", 1, /*pipeline_depth=*/1);
  Listen();
  WithClients([&] {
    Client c(path_);
    c.Send(Render(1, "Spin", R"({"ms":300})"));
    c.Send(Render(2, "Echo", "{}"));
    ipc::Request cancel_queued = Op(3, ipc::Op::kCancel);
    cancel_queued.target_id = 2;
    c.Send(cancel_queued);
    ipc::Request cancel_running = Op(4, ipc::Op::kCancel);
    cancel_running.target_id = 1;
    c.Send(cancel_running);
    ipc::Request cancel_unknown = Op(5, ipc::Op::kCancel);
    cancel_unknown.target_id = 999;
    c.Send(cancel_unknown);
    std::map<std::uint64_t, ipc::Reply> replies;
    for (int i = 0; i < 5; ++i) {
      auto r = c.Read();
      ASSERT_TRUE(r.has_value());
      replies[r->id] = *r;
    }
    if (GetParam() == std::string("real")) {
      // The real worker stops the running render inside V8.
      ASSERT_FALSE(replies[1].ok());
      EXPECT_EQ(replies[1].error->code, ErrorCode::kCancelled);
    } else {
      EXPECT_TRUE(replies[1].ok()) << "the fake ignores cancel frames and finishes";
    }
    EXPECT_EQ(replies[2].error->code, ErrorCode::kCancelled);
    EXPECT_TRUE(replies[3].ok());
    EXPECT_TRUE(replies[4].ok()) << "a running target is forwarded to its worker";
    ASSERT_FALSE(replies[5].ok());
    EXPECT_EQ(replies[5].error->code, ErrorCode::kNotFound);
    EXPECT_EQ(replies[5].error->message, "request 999 is not in flight on this connection");
    // The worker is still usable after the cancel.
    ipc::Reply after = c.Call(Render(6, "Echo", "{}"));
    EXPECT_TRUE(after.ok());
  });
}

TEST_P(SocketServerTest, RepliesForAClosedConnectionAreDropped) {
  StartPool("spin.mjs", 1, /*pipeline_depth=*/1);
  Listen();
  WithClients([&] {
    {
      Client gone(path_);
      gone.Send(Render(1, "Spin", R"({"ms":200})"));
      gone.Send(Render(2, "Echo", "{}"));
      // Closed with one request rendering and one queued.
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    Client c(path_);
    ipc::Reply stats = c.Call(Op(1, ipc::Op::kStats));
    EXPECT_EQ(stats.stats["served"], 1) << "the running render finished, its reply dropped";
    EXPECT_EQ(stats.stats["queued"], 0) << "the queued one was withdrawn";
    EXPECT_EQ(stats.stats["connections"], 1);
    EXPECT_TRUE(c.Call(Render(2, "Echo", "{}")).ok());
  });
}

TEST_P(SocketServerTest, StaleSocketFileIsReplacedAndALiveOneIsNot) {
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path_.c_str(), sizeof(addr.sun_path) - 1);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  close(fd);  // the file stays behind, as after a SIGKILLed daemon
  ASSERT_TRUE(std::filesystem::is_socket(path_));

  StartPool("echo.mjs", 1);
  Listen();
  auto second = SocketServer::Listen(&loop_, path_, *pool_, ipc::kDefaultMaxFrameBytes);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().message, "socket " + path_ + " is already in use by another ssrd");
  WithClients([&] {
    Client c(path_);
    ASSERT_GE(c.fd, 0);
    EXPECT_TRUE(c.Call(Op(1, ipc::Op::kPing)).ok());
  });
  server_->Close();
  EXPECT_FALSE(std::filesystem::exists(path_)) << "Close() unlinks the socket file";
}

TEST_P(SocketServerTest, MissingDirectoryIsAClearError) {
  StartPool("echo.mjs", 1);
  std::string path = dir_ + "/missing/ssrd.sock";
  auto server = SocketServer::Listen(&loop_, path, *pool_, ipc::kDefaultMaxFrameBytes);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.error().message, "cannot listen on " + path + ": no such file or directory");
}

// Issue 11.4: connections were unbounded, so idle ones could take every descriptor.
TEST_P(SocketServerTest, ConnectionsPastTheLimitGetOverloadedAndEarlierOnesStillRender) {
  StartPool("echo.mjs", 1);
  SocketServerOptions options;
  options.max_connections = 2;
  ListenWith(options);
  WithClients([&] {
    Client a(path_), b(path_);
    ASSERT_TRUE(a.Call(Op(1, ipc::Op::kPing)).ok());
    ASSERT_TRUE(b.Call(Op(1, ipc::Op::kPing)).ok());  // both are being served now
    Client c(path_);
    ASSERT_GE(c.fd, 0) << "the connection is accepted, then refused with a frame";
    auto refused = c.Read();
    ASSERT_TRUE(refused.has_value());
    EXPECT_EQ(refused->id, 0u);
    ASSERT_FALSE(refused->ok());
    EXPECT_EQ(refused->error->code, ErrorCode::kOverloaded);
    EXPECT_EQ(refused->error->message,
              "too many connections: the limit of 2 connections (--max-connections) is reached; "
              "try again later");
    EXPECT_TRUE(ClosedWithin(c.fd, 5000));

    ipc::Reply render = a.Call(Render(2, "Card", R"({"n":1})"));
    ASSERT_TRUE(render.ok()) << render.error->ToString();
    EXPECT_EQ(render.html, R"(<p>Card:{"n":1}</p>)");
    EXPECT_TRUE(b.Call(Render(2, "Card", "{}")).ok());

    // A freed place is taken by the next connection (the server sees the close asynchronously).
    close(b.fd);
    b.fd = -1;
    bool served = false;
    for (int attempt = 0; attempt < 100 && !served; ++attempt) {
      Client d(path_);
      ipc::Request ping = Op(5, ipc::Op::kPing);
      d.Send(ping);
      auto reply = d.Read();
      served = reply.has_value() && reply->ok() && reply->id == 5;
      if (!served) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_TRUE(served) << "a place freed by a closed connection is never given out again";
  });
}

TEST_P(SocketServerTest, IdleConnectionsAreClosedButNotOnesWithARequestInFlight) {
  StartPool("spin.mjs", 1);
  SocketServerOptions options;
  options.idle_timeout_ms = 300;
  ListenWith(options);
  WithClients([&] {
    Client idle(path_), busy(path_);
    ASSERT_TRUE(idle.Call(Op(1, ipc::Op::kPing)).ok());
    auto start = std::chrono::steady_clock::now();
    busy.Send(Render(1, "Spin", R"({"ms":1200})"));  // in flight four times the timeout
    EXPECT_TRUE(ClosedWithin(idle.fd, 3000)) << "the idle connection stayed open";
    auto idle_for = std::chrono::steady_clock::now() - start;
    EXPECT_GE(idle_for, std::chrono::milliseconds(250)) << "closed before its timeout";

    auto reply = busy.Read();
    ASSERT_TRUE(reply.has_value()) << "the connection with a render in flight was closed";
    EXPECT_EQ(reply->id, 1u);
    EXPECT_TRUE(reply->ok());
    // Once answered it is idle too, counted from the reply.
    EXPECT_TRUE(ClosedWithin(busy.fd, 3000));

    Client fresh(path_);
    EXPECT_TRUE(fresh.Call(Op(2, ipc::Op::kPing)).ok()) << "the server keeps serving";
  });
}

// A client that stops reading its replies holds its descriptor for ever if the server waits for
// the replies to drain before closing; the idle timeout closes it regardless.
TEST_P(SocketServerTest, AClientThatNeverReadsItsRepliesIsClosedAfterTheIdleTimeout) {
  StartPool("echo.mjs", 1);
  SocketServerOptions options;
  options.idle_timeout_ms = 300;
  ListenWith(options);
  WithClients([&] {
    Client deaf(path_);
    const std::string big = R"({"text":")" + std::string(1 << 20, 'x') + R"("})";
    for (std::uint64_t id = 1; id <= 4; ++id) deaf.Send(Render(id, "Card", big));
    // 4 MiB of replies, far more than the socket buffers hold, and none of it is read.
    Client watcher(path_);
    bool closed = false;
    for (int i = 0; i < 100 && !closed; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      closed = watcher.Call(Op(static_cast<std::uint64_t>(i + 1), ipc::Op::kStats))
                   .stats["connections"] == 1;
    }
    EXPECT_TRUE(closed) << "the connection that does not read was never closed";
  });
}

TEST_P(SocketServerTest, SocketFileGetsTheConfiguredModeAndGroup) {
  StartPool("echo.mjs", 1);
  SocketServerOptions options;
  options.socket_mode = 0640;
  options.socket_group = 4242;  // root may give a file any group, existing or not
  ListenWith(options);
  struct stat st;
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  if (geteuid() == 0) {
    EXPECT_EQ(st.st_gid, 4242u);
  }
}

// Issue 11.9: a props key JS cannot have used to reach the worker, which answered bad_request and
// left the connection open, while protocol.md said any map was accepted.
TEST_P(SocketServerTest, PropsWithANilKeyAreABadRequestThatClosesTheConnection) {
  StartPool("echo.mjs", 1);
  Listen();
  WithClients([&] {
    Client bad(path_), good(path_);
    // {"id":7,"op":"render","component":"C","props":{nil:1}}
    const std::string payload = "\x84\xa2" "id" "\x07\xa2" "op" "\xa6" "render" "\xa9" "component"
                                "\xa1" "C" "\xa5" "props" "\x81\xc0\x01";
    bad.SendPayload(payload);
    auto reply = bad.Read();
    ASSERT_TRUE(reply.has_value());
    EXPECT_EQ(reply->id, 7u);
    ASSERT_FALSE(reply->ok());
    EXPECT_EQ(reply->error->code, ErrorCode::kBadRequest);
    EXPECT_EQ(reply->error->message, "props map keys must be strings or integers, got nil");
    EXPECT_TRUE(ClosedWithin(bad.fd, 5000));
    ipc::Reply render = good.Call(Render(1, "Card", R"({"1":"integer keys are fine"})"));
    ASSERT_TRUE(render.ok()) << render.error->ToString();
  });
}

INSTANTIATE_TEST_SUITE_P(Workers, SocketServerTest, ::testing::ValuesIn(WorkerKinds()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace ssrd::pool::testing
