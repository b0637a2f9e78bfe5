// The client against an in-process fake daemon whose replies the test controls: out-of-order
// replies, late replies, dropped connections, fork. The real daemon is in client_test.cc.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clients/cpp/client.h"
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

}  // namespace
}  // namespace ssrd::client
