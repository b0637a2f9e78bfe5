// The client against an in-process fake daemon whose replies the test controls: out-of-order
// replies, late replies, dropped connections, fork, and (on MuxConnection directly, with a server
// that reads only when told to) how queued frames are combined into writes. The real daemon is
// in client_test.cc.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <poll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clients/cpp/client.h"
#include "clients/cpp/mux_connection.h"
#include "ipc/fd_io.h"
#include "ipc/message.h"
#include "tests/integration/daemon_process.h"

namespace ssrd::client {
namespace {

using namespace std::chrono_literals;
using ipc::ErrorCode;

// A Unix-socket server that decodes requests and hands each to the test's handler, on one
// thread per connection. Replies are written whole under a per-connection lock.
class FakeServer {
 public:
  struct Conn {
    int fd = -1;
    std::mutex write_mu;
    void Send(const ipc::Reply& reply) {
      std::string frame;
      ipc::EncodeReply(reply, &frame);
      std::lock_guard<std::mutex> lock(write_mu);
      (void)ipc::WriteAll(fd, frame);
    }
    void Drop() { ::shutdown(fd, SHUT_RDWR); }
  };
  using Handler = std::function<void(Conn&, const ipc::Request&)>;

  explicit FakeServer(Handler handler) : handler_(std::move(handler)), path_(dir_.File("fake.sock")) {
    listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path_.c_str(), sizeof(addr.sun_path) - 1);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::listen(listen_fd_, 64) != 0) {
      ADD_FAILURE() << "fake server cannot listen on " << path_ << ": " << std::strerror(errno);
    }
    acceptor_ = std::thread([this] { AcceptLoop(); });
  }

  ~FakeServer() {
    stopping_ = true;
    ::shutdown(listen_fd_, SHUT_RDWR);
    acceptor_.join();
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto& conn : conns_) conn->Drop();
    }
    for (auto& t : threads_) t.join();
    for (auto& conn : conns_) ::close(conn->fd);
    ::close(listen_fd_);
  }

  const std::string& path() const { return path_; }
  int connections() {
    std::lock_guard<std::mutex> lock(mu_);
    return static_cast<int>(conns_.size());
  }
  std::vector<ipc::Request> received() {
    std::lock_guard<std::mutex> lock(mu_);
    return received_;
  }
  // Waits (bounded) until `count` requests have arrived.
  bool WaitForRequests(std::size_t count, std::chrono::milliseconds bound = 5s) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, bound, [&] { return received_.size() >= count; });
  }

 private:
  void AcceptLoop() {
    for (;;) {
      int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR) continue;
        return;  // shut down
      }
      auto conn = std::make_shared<Conn>();
      conn->fd = fd;
      std::lock_guard<std::mutex> lock(mu_);
      conns_.push_back(conn);
      threads_.emplace_back([this, conn] { ServeLoop(*conn); });
    }
  }

  void ServeLoop(Conn& conn) {
    ipc::FrameDecoder decoder;
    std::string payload;
    while (ipc::ReadFrame(conn.fd, &decoder, &payload)) {
      ipc::DecodeFailure failure;
      auto request = ipc::DecodeRequest(payload, &failure);
      if (!request) {
        ADD_FAILURE() << "client sent an undecodable request: " << failure.error.ToString();
        return;
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        received_.push_back(*request);
      }
      cv_.notify_all();
      handler_(conn, *request);
    }
  }

  Handler handler_;
  ssrd::testing::TempDir dir_;
  std::string path_;
  int listen_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::shared_ptr<Conn>> conns_;
  std::vector<std::thread> threads_;
  std::vector<ipc::Request> received_;
};

ipc::Reply HtmlReply(const ipc::Request& request, std::string html) {
  ipc::Reply reply;
  reply.id = request.id;
  reply.html = std::move(html);
  return reply;
}

// Answers render with "<component>" and ping/cancel with ok.
void EchoHandler(FakeServer::Conn& conn, const ipc::Request& request) {
  if (request.op == ipc::Op::kRender) {
    conn.Send(HtmlReply(request, "<" + request.component + ">"));
  } else {
    ipc::Reply reply;
    reply.id = request.id;
    conn.Send(reply);
  }
}

std::unique_ptr<Client> MustConnect(const std::string& path, ClientOptions options = {}) {
  auto client = Client::Connect(path, options);
  if (!client) {
    ADD_FAILURE() << "connect: " << client.error().ToString();
    return nullptr;
  }
  return std::move(client).value();
}

TEST(ClientMuxTest, RenderCarriesEveryRequestFieldAndEveryReplyField) {
  FakeServer server([](FakeServer::Conn& conn, const ipc::Request& request) {
    ipc::Reply reply = HtmlReply(request, "<h1>hi</h1>");
    reply.head = "<title>t</title>";
    reply.status = 404;
    reply.console = {{"warn", "careful"}, {"log", "x"}};
    conn.Send(reply);
  });
  auto client = MustConnect(server.path());
  ASSERT_NE(client, nullptr);
  RenderOptions options;
  options.url = "/a?b=1";
  options.timeout = 1234ms;
  auto result = client->Render("Page", R"({"a":[1,2]})", options);
  ASSERT_TRUE(result) << result.error().ToString();
  EXPECT_EQ(result->html, "<h1>hi</h1>");
  EXPECT_EQ(result->head, "<title>t</title>");
  EXPECT_EQ(result->status, 404u);
  ASSERT_EQ(result->console.size(), 2u);
  EXPECT_EQ(result->console[0].level, "warn");
  EXPECT_EQ(result->console[0].text, "careful");

  auto requests = server.received();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].op, ipc::Op::kRender);
  EXPECT_EQ(requests[0].component, "Page");
  EXPECT_EQ(requests[0].url, "/a?b=1");
  EXPECT_EQ(requests[0].timeout_ms, 1234u);
  EXPECT_EQ(requests[0].props_msgpack, ipc::JsonToMsgpack(R"({"a":[1,2]})").value());
  EXPECT_NE(requests[0].id, 0u) << "id 0 is reserved for connection-level errors";
}

TEST(ClientMuxTest, EmptyPropsAreAnEmptyMapAndDefaultTimeoutIsTheDaemons) {
  FakeServer server(EchoHandler);
  auto client = MustConnect(server.path());
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->Render("A", ""));
  auto requests = server.received();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].props_msgpack, std::string("\x80", 1));
  EXPECT_EQ(requests[0].timeout_ms, 0u);
}

TEST(ClientMuxTest, InvalidJsonPropsAreABadRequestAndNothingIsSent) {
  FakeServer server(EchoHandler);
  auto client = MustConnect(server.path());
  ASSERT_NE(client, nullptr);
  auto result = client->Render("A", "{not json");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kBadRequest);
  EXPECT_TRUE(client->Ping());
  EXPECT_EQ(server.received().size(), 1u);  // the ping only
}

TEST(ClientMuxTest, RepliesInReverseOrderReachTheirOwnCallers) {
  constexpr int kCallers = 8;
  std::mutex mu;
  std::vector<ipc::Request> held;
  FakeServer server([&](FakeServer::Conn& conn, const ipc::Request& request) {
    std::lock_guard<std::mutex> lock(mu);
    held.push_back(request);
    if (held.size() < kCallers) return;
    for (auto it = held.rbegin(); it != held.rend(); ++it) {
      conn.Send(HtmlReply(*it, "<" + it->component + ">"));
    }
  });
  auto client = MustConnect(server.path());
  ASSERT_NE(client, nullptr);
  std::vector<std::string> got(kCallers);
  std::vector<std::thread> threads;
  for (int i = 0; i < kCallers; ++i) {
    threads.emplace_back([&, i] {
      RenderOptions options;
      options.timeout = 10s;
      auto result = client->Render("C" + std::to_string(i), "{}", options);
      got[i] = result ? result->html : result.error().ToString();
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kCallers; ++i) EXPECT_EQ(got[i], "<C" + std::to_string(i) + ">");
  EXPECT_EQ(server.connections(), 1);
}

TEST(ClientMuxTest, ServerErrorComesBackWithCodeMessageAndStack) {
  FakeServer server([](FakeServer::Conn& conn, const ipc::Request& request) {
    ipc::Reply reply;
    reply.id = request.id;
    reply.error = ipc::MakeError(ErrorCode::kJsError, "Error: boom", "Error: boom\n    at x.mjs:1");
    conn.Send(reply);
  });
  auto client = MustConnect(server.path());
  ASSERT_NE(client, nullptr);
  auto result = client->Render("A", "{}");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kJsError);
  EXPECT_EQ(result.error().message, "Error: boom");
  EXPECT_EQ(result.error().stack, "Error: boom\n    at x.mjs:1");
}

TEST(ClientMuxTest, TimeoutReturnsKTimeoutSendsCancelAndDropsTheLateReply) {
  FakeServer server([](FakeServer::Conn& conn, const ipc::Request& request) {
    if (request.op == ipc::Op::kRender && request.component == "Slow") {
      std::this_thread::sleep_for(300ms);  // blocks this connection's reads too
    }
    EchoHandler(conn, request);
  });
  auto client = MustConnect(server.path());
  ASSERT_NE(client, nullptr);
  RenderOptions options;
  options.timeout = 50ms;
  const auto start = std::chrono::steady_clock::now();
  auto slow = client->Render("Slow", "{}", options);
  const auto waited = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(slow);
  EXPECT_EQ(slow.error().code, ErrorCode::kTimeout);
  EXPECT_EQ(slow.error().message, "no reply within 50 ms");
  EXPECT_LT(waited, 250ms);

  // The late "<Slow>" reply arrives first on the wire; this call must get its own.
  auto fast = client->Render("Fast", "{}");
  ASSERT_TRUE(fast) << fast.error().ToString();
  EXPECT_EQ(fast->html, "<Fast>");

  auto requests = server.received();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[1].op, ipc::Op::kCancel);
  EXPECT_EQ(requests[1].target_id, requests[0].id);
  EXPECT_EQ(server.connections(), 1);
}

TEST(ClientMuxTest, ConnectionLossFailsEveryPendingCallAndTheNextCallReconnects) {
  FakeServer server([](FakeServer::Conn& conn, const ipc::Request& request) {
    if (request.component == "Hang") return;  // never answered
    if (request.component == "Drop") return conn.Drop();
    EchoHandler(conn, request);
  });
  auto client = MustConnect(server.path());
  ASSERT_NE(client, nullptr);
  std::vector<ipc::Result<RenderResult>> results;
  std::mutex mu;
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i) {
    threads.emplace_back([&] {
      auto r = client->Render("Hang", "{}");
      std::lock_guard<std::mutex> lock(mu);
      results.push_back(std::move(r));
    });
  }
  ASSERT_TRUE(server.WaitForRequests(3));
  auto dropped = client->Render("Drop", "{}");
  for (auto& t : threads) t.join();
  ASSERT_FALSE(dropped);
  EXPECT_EQ(dropped.error().code, ErrorCode::kUnavailable);
  ASSERT_EQ(results.size(), 3u);
  for (auto& r : results) {
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
    EXPECT_NE(r.error().message.find("lost"), std::string::npos) << r.error().message;
  }
  EXPECT_TRUE(client->Ping());
  EXPECT_EQ(server.connections(), 2);
}

TEST(ClientMuxTest, ConnectToAMissingSocketIsUnavailable) {
  ssrd::testing::TempDir dir;
  auto client = Client::Connect(dir.File("nothing.sock"));
  ASSERT_FALSE(client);
  EXPECT_EQ(client.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(client.error().message.find("nothing.sock"), std::string::npos);
}

TEST(ClientMuxTest, RequestOverTheFrameLimitIsRefusedBeforeSending) {
  FakeServer server(EchoHandler);
  ClientOptions options;
  options.max_frame_bytes = 1024;
  auto client = MustConnect(server.path(), options);
  ASSERT_NE(client, nullptr);
  auto result = client->Render("A", "{\"pad\":\"" + std::string(2000, 'x') + "\"}");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kTooLarge);
  EXPECT_TRUE(client->Render("A", "{}"));
  EXPECT_EQ(server.received().size(), 1u);
}

TEST(ClientMuxTest, ForkedChildUsesItsOwnConnectionAndLeavesTheParentsAlone) {
  FakeServer server(EchoHandler);
  auto client = MustConnect(server.path());
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->Ping());
  ASSERT_EQ(server.connections(), 1);

  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // No gtest assertions here: report through the exit code.
    auto r = client->Render("Child", "{}");
    int code = !r ? 10 : r->html != "<Child>" ? 11 : 0;
    client.reset();  // must not shut down the parent's connection
    ::_exit(code);
  }
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  pid_t waited = 0;
  while ((waited = ::waitpid(child, &status, WNOHANG)) == 0 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  if (waited == 0) {
    ::kill(child, SIGKILL);
    ::waitpid(child, &status, 0);
    FAIL() << "forked child hung";
  }
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(server.connections(), 2);

  auto parent = client->Render("Parent", "{}");
  ASSERT_TRUE(parent) << parent.error().ToString();
  EXPECT_EQ(parent->html, "<Parent>");
  EXPECT_EQ(server.connections(), 2) << "the parent's connection must have survived";
}

TEST(ClientMuxTest, ManyThreadsThroughASlowReaderEachGetTheirOwnReply) {
  // The server stalls on each thread's first request, so frames pile up in the client and leave
  // in combined writes; every one must still decode on its own (the server fails the test on an
  // undecodable frame) and every reply must reach the caller that asked.
  constexpr int kThreads = 12;
  constexpr int kPerThread = 40;
  FakeServer server([](FakeServer::Conn& conn, const ipc::Request& request) {
    if (request.component.find("/0") != std::string::npos) std::this_thread::sleep_for(20ms);
    EchoHandler(conn, request);
  });
  auto client = MustConnect(server.path());
  ASSERT_NE(client, nullptr);
  std::vector<std::string> failures(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string name = "T" + std::to_string(t) + "/" + std::to_string(i);
        // Sizes vary so that frames straddle the server's reads at every offset.
        auto r = client->Render(name, R"({"pad":")" + std::string((t * 97 + i * 31) % 700, 'x') +
                                          R"("})");
        if (!r || r->html != "<" + name + ">") {
          failures[t] = name + ": " + (r ? r->html : r.error().ToString());
          return;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(failures[t], "") << "thread " << t;
  EXPECT_EQ(server.received().size(), static_cast<std::size_t>(kThreads * kPerThread));
  EXPECT_EQ(server.connections(), 1);
}

// --- MuxConnection against a server that reads only when the test says so -------------------

using detail::MuxConnection;

// A listening Unix socket; the test accepts and drives each connection by hand.
class RawListener {
 public:
  RawListener() : path_(dir_.File("raw.sock")) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path_.c_str(), sizeof(addr.sun_path) - 1);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::listen(fd_, 16) != 0) {
      ADD_FAILURE() << "cannot listen on " << path_ << ": " << std::strerror(errno);
    }
  }
  ~RawListener() { ::close(fd_); }
  const std::string& path() const { return path_; }
  // The next connection's fd, or -1 if none came within 10 s.
  int Accept() {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 10000) != 1) return -1;
    return ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
  }

 private:
  ssrd::testing::TempDir dir_;
  std::string path_;
  int fd_ = -1;
};

// The next whole request on fd, or nullopt (and a test failure) if none came within 10 s or it
// does not decode: a frame mixed with another's bytes would not.
std::optional<ipc::Request> ReadRequest(int fd, ipc::FrameDecoder* decoder) {
  std::string payload;
  char buffer[64 * 1024];
  while (decoder->Next(&payload) != ipc::FrameDecoder::Status::kFrame) {
    pollfd p{fd, POLLIN, 0};
    ssize_t n = ::poll(&p, 1, 10000) == 1 ? ::read(fd, buffer, sizeof(buffer)) : -1;
    if (n <= 0) {
      ADD_FAILURE() << "no whole request arrived";
      return std::nullopt;
    }
    decoder->Feed(buffer, static_cast<std::size_t>(n));
  }
  ipc::DecodeFailure failure;
  auto request = ipc::DecodeRequest(payload, &failure);
  if (!request) ADD_FAILURE() << "undecodable request: " << failure.error.ToString();
  return request;
}

// Joins the test's threads however the test ends; shutting `fd` down first makes calls still
// waiting on the server fail rather than hang when an assertion returned early.
struct JoinOnExit {
  std::vector<std::thread>* threads;
  int fd;
  void Join() {
    for (auto& t : *threads) t.join();
    threads->clear();
  }
  ~JoinOnExit() {
    if (threads->empty()) return;
    if (fd >= 0) ::shutdown(fd, SHUT_RDWR);
    Join();
  }
};

std::string RenderFrame(std::uint64_t id, std::size_t pad_bytes = 0) {
  ipc::Request request;
  request.id = id;
  request.op = ipc::Op::kRender;
  request.component = "C" + std::to_string(id);
  request.props_msgpack =
      ipc::JsonToMsgpack(R"({"pad":")" + std::string(pad_bytes, 'x') + R"("})").value();
  std::string frame;
  ipc::EncodeRequest(request, &frame);
  return frame;
}

// Polls (bounded) until `done` holds; the bound only turns a hang into a failure.
bool Eventually(const std::function<bool()>& done) {
  const auto limit = std::chrono::steady_clock::now() + 10s;
  while (!done()) {
    if (std::chrono::steady_clock::now() > limit) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

// One connection with a write held up: call 1 sends a frame far larger than the socket buffer,
// so its thread is the writer and stays blocked in send() until the server reads; calls 2..N+1
// are queued meanwhile. Each call runs on its own thread and records what it got.
class HeldUpWrite {
 public:
  static constexpr int kFollowers = 16;
  static constexpr int kCalls = kFollowers + 1;

  struct Outcome {
    std::optional<ipc::Result<ipc::Reply>> result;
    bool not_sent = false;
  };

  explicit HeldUpWrite(RawListener* listener) {
    auto opened = MuxConnection::Open(listener->path(), 5s, 60s, ipc::kDefaultMaxFrameBytes);
    if (!opened) {
      ADD_FAILURE() << opened.error().ToString();
      return;
    }
    conn = std::move(opened).value();
    server_fd = listener->Accept();
    if (server_fd < 0) ADD_FAILURE() << "the client's connection never arrived";
  }

  ~HeldUpWrite() {
    if (server_fd >= 0) ::shutdown(server_fd, SHUT_RDWR);  // unblocks everything on failure
    for (auto& t : threads_) t.join();
    conn.reset();
    if (server_fd >= 0) ::close(server_fd);
  }

  // Starts every call; returns once all their frames are queued (false if they never were).
  bool Start() {
    if (!conn || server_fd < 0) return false;
    Spawn(1, RenderFrame(1, 4 << 20));
    if (!Eventually([&] { return conn->stats().frames_queued == 1; })) return false;
    for (int i = 2; i <= kCalls; ++i) Spawn(i, RenderFrame(i, 40 + i));
    return Eventually([&] { return conn->stats().frames_queued == kCalls; });
  }

  void Join() {
    for (auto& t : threads_) t.join();
    threads_.clear();
  }

  // outcomes[id - 1]
  std::vector<Outcome> outcomes = std::vector<Outcome>(kCalls);
  std::shared_ptr<MuxConnection> conn;
  int server_fd = -1;

 private:
  void Spawn(std::uint64_t id, std::string frame) {
    threads_.emplace_back([this, id, frame = std::move(frame)] {
      bool not_sent = false;
      auto result = conn->Call(id, frame, MuxConnection::Clock::now() + 60s, &not_sent);
      outcomes[id - 1].result = std::move(result);
      outcomes[id - 1].not_sent = not_sent;
    });
  }
  std::vector<std::thread> threads_;
};

std::string ReplyFrame(std::uint64_t id) {
  ipc::Reply reply;
  reply.id = id;
  reply.html = "<C" + std::to_string(id) + ">";
  std::string frame;
  ipc::EncodeReply(reply, &frame);
  return frame;
}

TEST(MuxConnectionTest, FramesQueuedDuringAWriteLeaveTogetherInOneWrite) {
  RawListener listener;
  HeldUpWrite held(&listener);
  ASSERT_TRUE(held.Start()) << "the calls' frames were never all queued";
  ipc::FrameDecoder decoder;
  std::set<std::uint64_t> ids;
  std::string replies;
  for (int i = 0; i < HeldUpWrite::kCalls; ++i) {
    auto request = ReadRequest(held.server_fd, &decoder);
    ASSERT_TRUE(request);
    if (i == 0) {
      EXPECT_EQ(request->id, 1u) << "the held-up frame comes first, whole";
    }
    EXPECT_EQ(request->component, "C" + std::to_string(request->id));
    EXPECT_TRUE(ids.insert(request->id).second) << "id " << request->id << " arrived twice";
    replies.insert(0, ReplyFrame(request->id));  // answered in reverse, in one write
  }
  ASSERT_TRUE(ipc::WriteAll(held.server_fd, replies));
  held.Join();
  for (int i = 0; i < HeldUpWrite::kCalls; ++i) {
    const auto& outcome = held.outcomes[i];
    ASSERT_TRUE(outcome.result.has_value());
    ASSERT_TRUE(*outcome.result) << "call " << i + 1 << ": " << outcome.result->error().ToString();
    EXPECT_EQ((*outcome.result)->html, "<C" + std::to_string(i + 1) + ">");
  }
  // One write for the held-up frame, one for the sixteen queued behind it; writing each frame on
  // its own would take seventeen.
  EXPECT_LE(held.conn->stats().writes, 2u);
  EXPECT_EQ(held.conn->stats().frames_queued, static_cast<std::uint64_t>(HeldUpWrite::kCalls));
}

TEST(MuxConnectionTest, ConnectionLostBeforeQueuedFramesLeftFailsEveryCallAsNotSent) {
  RawListener listener;
  HeldUpWrite held(&listener);
  ASSERT_TRUE(held.Start()) << "the calls' frames were never all queued";
  // Take part of the held-up frame, then hang up: it left only in part, the rest not at all.
  char buffer[64 * 1024];
  ASSERT_GT(::read(held.server_fd, buffer, sizeof(buffer)), 0);
  ::shutdown(held.server_fd, SHUT_RDWR);
  held.Join();
  for (int i = 0; i < HeldUpWrite::kCalls; ++i) {
    const auto& outcome = held.outcomes[i];
    ASSERT_TRUE(outcome.result.has_value());
    ASSERT_FALSE(*outcome.result) << "call " << i + 1 << " got a reply nobody sent";
    EXPECT_EQ(outcome.result->error().code, ErrorCode::kUnavailable) << "call " << i + 1;
    EXPECT_TRUE(outcome.not_sent) << "call " << i + 1 << ": its frame never left whole";
  }
  EXPECT_LE(held.conn->stats().writes, 2u);
  bool not_sent = false;
  auto later = held.conn->Call(99, RenderFrame(99), MuxConnection::Clock::now() + 10s, &not_sent);
  ASSERT_FALSE(later);
  EXPECT_EQ(later.error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(not_sent);
}

TEST(MuxConnectionTest, ConnectionLostAfterHalfABatchWasAnsweredFailsOnlyTheOtherHalf) {
  RawListener listener;
  HeldUpWrite held(&listener);
  ASSERT_TRUE(held.Start()) << "the calls' frames were never all queued";
  ipc::FrameDecoder decoder;
  std::vector<std::uint64_t> order;
  for (int i = 0; i < HeldUpWrite::kCalls; ++i) {
    auto request = ReadRequest(held.server_fd, &decoder);
    ASSERT_TRUE(request);
    order.push_back(request->id);
  }
  // Answer the first half, in one write, then hang up.
  std::set<std::uint64_t> answered(order.begin(), order.begin() + HeldUpWrite::kCalls / 2);
  std::string replies;
  for (auto id : answered) replies += ReplyFrame(id);
  ASSERT_TRUE(ipc::WriteAll(held.server_fd, replies));
  ::shutdown(held.server_fd, SHUT_RDWR);
  held.Join();
  for (int i = 0; i < HeldUpWrite::kCalls; ++i) {
    const std::uint64_t id = i + 1;
    const auto& outcome = held.outcomes[i];
    ASSERT_TRUE(outcome.result.has_value());
    if (answered.count(id) != 0) {
      ASSERT_TRUE(*outcome.result) << "call " << id << ": " << outcome.result->error().ToString();
      EXPECT_EQ((*outcome.result)->html, "<C" + std::to_string(id) + ">");
    } else {
      ASSERT_FALSE(*outcome.result) << "call " << id << " got " << (*outcome.result)->html;
      EXPECT_EQ(outcome.result->error().code, ErrorCode::kUnavailable);
      EXPECT_FALSE(outcome.not_sent) << "call " << id << ": the daemon did read its frame";
    }
  }
}

TEST(MuxConnectionTest, RepliesArrivingTogetherReachEveryCallerOnce) {
  // Many replies in one write, one larger than the read buffer, one for an unknown id, and one
  // split across two writes: each caller gets exactly its own.
  constexpr int kCalls = 12;
  RawListener listener;
  auto opened = MuxConnection::Open(listener.path(), 5s, 10s, ipc::kDefaultMaxFrameBytes);
  ASSERT_TRUE(opened) << opened.error().ToString();
  auto conn = std::move(opened).value();
  int fd = listener.Accept();
  ASSERT_GE(fd, 0);
  std::vector<std::optional<ipc::Result<ipc::Reply>>> results(kCalls);
  std::vector<std::thread> threads;
  JoinOnExit guard{&threads, fd};
  for (int i = 0; i < kCalls; ++i) {
    threads.emplace_back([&, i] {
      bool not_sent = false;
      results[i] = conn->Call(i + 1, RenderFrame(i + 1), MuxConnection::Clock::now() + 30s,
                              &not_sent);
    });
  }
  ipc::FrameDecoder decoder;
  for (int i = 0; i < kCalls; ++i) ASSERT_TRUE(ReadRequest(fd, &decoder));
  auto reply = [](std::uint64_t id, std::size_t size) {
    ipc::Reply r;
    r.id = id;
    r.html = "<C" + std::to_string(id) + ">" + std::string(size, 'h');
    std::string frame;
    ipc::EncodeReply(r, &frame);
    return frame;
  };
  std::string burst = reply(1000, 10);  // unknown id: dropped
  for (int id = kCalls - 1; id >= 1; --id) burst += reply(id, id == 5 ? 600 * 1024 : id);
  burst += reply(kCalls, 3).substr(0, 7);
  ASSERT_TRUE(ipc::WriteAll(fd, burst));
  ASSERT_TRUE(ipc::WriteAll(fd, reply(kCalls, 3).substr(7)));
  guard.Join();
  for (int i = 0; i < kCalls; ++i) {
    const std::uint64_t id = i + 1;
    ASSERT_TRUE(results[i].has_value());
    ASSERT_TRUE(*results[i]) << "call " << id << ": " << results[i]->error().ToString();
    const std::string& html = (*results[i])->html;
    EXPECT_EQ(html.substr(0, html.find('h')), "<C" + std::to_string(id) + ">");
    EXPECT_EQ(html.size(), ("<C" + std::to_string(id) + ">").size() +
                               (id == 5 ? 600 * 1024 : id == kCalls ? 3 : id));
  }
  EXPECT_FALSE(conn->dead());
  conn.reset();
  ::close(fd);
}

// The process's CPU time (user + system) so far.
std::chrono::microseconds ProcessCpuTime() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  auto micros = [](const timeval& tv) {
    return std::chrono::seconds(tv.tv_sec) + std::chrono::microseconds(tv.tv_usec);
  };
  return micros(usage.ru_utime) + micros(usage.ru_stime);
}

// One call on a connection with `busy_poll`, answered by the test `reply_after` after the
// request arrived. Returns the reply's html (or the error), the busy polls and the CPU time the
// whole process spent meanwhile.
struct LateReply {
  std::string html;
  std::uint64_t busy_polls = 0;
  std::chrono::microseconds cpu{0};
};
LateReply CallAnsweredAfter(std::chrono::microseconds busy_poll,
                            std::chrono::milliseconds reply_after) {
  LateReply out;
  RawListener listener;
  auto opened = MuxConnection::Open(listener.path(), 5s, 10s, ipc::kDefaultMaxFrameBytes, {},
                                    busy_poll);
  if (!opened) {
    ADD_FAILURE() << opened.error().ToString();
    return out;
  }
  auto conn = std::move(opened).value();
  int fd = listener.Accept();
  if (fd < 0) {
    ADD_FAILURE() << "no connection";
    return out;
  }
  const auto cpu_before = ProcessCpuTime();
  std::vector<std::thread> threads;
  {
    JoinOnExit guard{&threads, fd};
    threads.emplace_back([&] {
      bool not_sent = false;
      auto reply = conn->Call(7, RenderFrame(7), MuxConnection::Clock::now() + 10s, &not_sent);
      out.html = reply ? reply->html : reply.error().ToString();
    });
    ipc::FrameDecoder decoder;
    if (ReadRequest(fd, &decoder)) {
      std::this_thread::sleep_for(reply_after);
      ipc::Reply reply;
      reply.id = 7;
      reply.html = "<late>";
      std::string frame;
      ipc::EncodeReply(reply, &frame);
      EXPECT_TRUE(ipc::WriteAll(fd, frame));
    }
    guard.Join();
  }
  out.cpu = std::chrono::duration_cast<std::chrono::microseconds>(ProcessCpuTime() - cpu_before);
  out.busy_polls = conn->stats().busy_polls;
  conn.reset();
  ::close(fd);
  return out;
}

TEST(MuxConnectionTest, BusyPollingLooksForTheReplyThenSleepsWhenItIsLate) {
  // A 20 ms window against a reply 300 ms late: the reader and the caller look for it without
  // sleeping (the gate of a fresh thread is open), then sleep. Spinning for the whole wait would
  // cost the process about 600 ms of CPU (two threads); the bound leaves room for a slow machine.
  LateReply late = CallAnsweredAfter(20ms, 300ms);
  EXPECT_EQ(late.html, "<late>");
  EXPECT_GT(late.busy_polls, 0u);
  EXPECT_LT(late.cpu, 200ms);
}

TEST(MuxConnectionTest, WithoutBusyPollingNothingLooksWithoutSleeping) {
  LateReply late = CallAnsweredAfter(0us, 50ms);
  EXPECT_EQ(late.html, "<late>");
  EXPECT_EQ(late.busy_polls, 0u);
  EXPECT_LT(late.cpu, 30ms);
}

TEST(ClientMuxTest, CallsWhoseFramesNeverLeftAreRetriedOnANewConnection) {
  // The first connection's writer is held up by a large request and the others queue behind it;
  // the server then hangs up without reading. None of those frames left whole, so each call is
  // sent again on a second connection, where each gets its own reply.
  constexpr int kCallers = 8;
  RawListener listener;
  auto client = MustConnect(listener.path());
  ASSERT_NE(client, nullptr);
  int first = listener.Accept();
  ASSERT_GE(first, 0);
  std::vector<std::string> got(kCallers + 1);
  std::vector<std::thread> threads;
  JoinOnExit guard{&threads, first};
  threads.emplace_back([&] {
    auto r = client->Render("Big", R"({"pad":")" + std::string(4 << 20, 'x') + R"("})");
    got[kCallers] = r ? r->html : r.error().ToString();
  });
  // The large write has begun once its bytes reach the server's socket.
  ASSERT_TRUE(Eventually([&] {
    int queued = 0;
    return ::ioctl(first, FIONREAD, &queued) == 0 && queued > 0;
  }));
  for (int i = 0; i < kCallers; ++i) {
    threads.emplace_back([&, i] {
      auto r = client->Render("C" + std::to_string(i), "{}");
      got[i] = r ? r->html : r.error().ToString();
    });
  }
  ::shutdown(first, SHUT_RDWR);

  int second = listener.Accept();
  ASSERT_GE(second, 0);
  guard.fd = second;
  std::thread server([&] {
    ipc::FrameDecoder decoder(64u << 20);
    std::string payload;
    while (ipc::ReadFrame(second, &decoder, &payload)) {
      ipc::DecodeFailure failure;
      auto request = ipc::DecodeRequest(payload, &failure);
      if (!request) return ADD_FAILURE() << failure.error.ToString();
      ipc::Reply reply;
      reply.id = request->id;
      reply.html = "<" + request->component + ">";
      std::string frame;
      ipc::EncodeReply(reply, &frame);
      if (!ipc::WriteAll(second, frame)) return;
    }
  });
  guard.Join();
  client.reset();  // ends the second connection, and with it the server thread
  server.join();
  ::close(first);
  ::close(second);
  EXPECT_EQ(got[kCallers], "<Big>") << "the partly written request must have been sent again";
  for (int i = 0; i < kCallers; ++i) EXPECT_EQ(got[i], "<C" + std::to_string(i) + ">");
}

}  // namespace
}  // namespace ssrd::client
