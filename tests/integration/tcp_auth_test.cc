// TCP listeners with token authentication, through the real daemon on loopback addresses only
// (docs/protocol.md "Authentication", docs/operations.md "TCP and tokens"): renders and streams
// over IPv4 and IPv6 with the C++ client, refused tokens and requests before auth (closed, nothing
// rendered), token rotation with SIGHUP, the start-up refusals, and socket activation of a TCP
// socket.
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "clients/cpp/client.h"
#include "ipc/message.h"
#include "tests/integration/daemon_process.h"
#include "tests/integration/raw_socket.h"

namespace ssrd::testing {
namespace {

using Clock = std::chrono::steady_clock;

const std::string kToken = "cpp-test-token-0123456789";
const std::string kOther = "cpp-rotated-token-9876543210";

bool Has(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

// A port free on the loopback address of `family` right now, or 0 when that family has no
// loopback here (a host without IPv6).
int FreeLoopbackPort(int family) {
  int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_storage address{};
  socklen_t length;
  if (family == AF_INET) {
    auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
    v4->sin_family = AF_INET;
    v4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    length = sizeof(*v4);
  } else {
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
    v6->sin6_family = AF_INET6;
    v6->sin6_addr = in6addr_loopback;
    length = sizeof(*v6);
  }
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), length) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(family == AF_INET ? reinterpret_cast<sockaddr_in*>(&address)->sin_port
                                   : reinterpret_cast<sockaddr_in6*>(&address)->sin6_port);
  }
  ::close(fd);
  return port;
}

void WriteTokens(const std::string& path, const std::string& contents, mode_t mode = 0600) {
  WriteFile(path, contents);
  ASSERT_EQ(::chmod(path.c_str(), mode), 0);
}

std::string Frame(const ipc::Request& request) {
  std::string frame;
  ipc::EncodeRequest(request, &frame);
  return frame;
}

ipc::Request Auth(std::uint64_t id, const std::string& token) {
  ipc::Request request;
  request.id = id;
  request.op = ipc::Op::kAuth;
  request.token = token;
  return request;
}

ipc::Request Render(std::uint64_t id, const std::string& component) {
  ipc::Request request;
  request.id = id;
  request.op = ipc::Op::kRender;
  request.component = component;
  return request;
}

// A daemon on streaming.mjs with one worker, its Unix socket and the given TCP addresses.
class TcpDaemon {
 public:
  TcpDaemon(const std::vector<std::string>& listen, const std::string& tokens_file_contents) {
    tokens_ = tokens_dir_.File("tokens");
    DaemonConfig config{BundlesDir() + "/streaming.mjs", 1, {}};
    if (!tokens_file_contents.empty()) {
      WriteTokens(tokens_, tokens_file_contents);
      config.extra_args = {"--auth-token-file", tokens_};
    }
    for (const std::string& address : listen) {
      config.extra_args.push_back("--listen");
      config.extra_args.push_back(address);
    }
    config.ready_also_on = listen;
    daemon_ = std::make_unique<DaemonProcess>(config);
  }
  ::testing::AssertionResult Start() { return daemon_->Start(); }
  DaemonProcess& process() { return *daemon_; }
  const std::string& tokens_path() const { return tokens_; }

  // The counters, read over the Unix socket (no token needed there).
  std::int64_t Served() {
    auto client = client::Client::Connect(daemon_->socket_path());
    if (!client) return -1;
    auto stats = (*client)->Stats();
    return stats ? stats->at("served") : -1;
  }

 private:
  TempDir tokens_dir_;
  std::string tokens_;
  std::unique_ptr<DaemonProcess> daemon_;
};

ipc::Result<std::unique_ptr<client::Client>> ConnectTcp(const std::string& address,
                                                        const std::string& token) {
  client::ClientOptions options;
  options.auth_token = token;
  options.request_timeout = std::chrono::seconds(30);
  return client::Client::Connect(address, options);
}

void RenderAndStream(client::Client& client) {
  auto plain = client.Render("Plain", "{}");
  ASSERT_TRUE(plain) << plain.error().ToString();
  EXPECT_EQ(plain->html, "<p>plain</p>");
  std::vector<std::string> pieces;
  auto streamed = client.RenderStream(
      "Pieces", R"({"parts":["<a>","<b>","<c>"],"delay_ms":1})",
      [&](std::string_view html) { pieces.emplace_back(html); });
  ASSERT_TRUE(streamed) << streamed.error().ToString();
  EXPECT_EQ(pieces, (std::vector<std::string>{"<a>", "<b>", "<c>"}));
  EXPECT_EQ(streamed->status, 201u);
}

TEST(TcpAuth, RendersAndStreamsOverIpv4WithAToken) {
  const int port = FreeLoopbackPort(AF_INET);
  ASSERT_NE(port, 0);
  const std::string address = "127.0.0.1:" + std::to_string(port);
  TcpDaemon daemon({address}, kToken + "\n");
  ASSERT_TRUE(daemon.Start());
  auto client = ConnectTcp("tcp://" + address, kToken);
  ASSERT_TRUE(client) << client.error().ToString() << daemon.process().Stderr();
  RenderAndStream(**client);
  EXPECT_EQ(daemon.Served(), 2);
}

TEST(TcpAuth, RendersAndStreamsOverIpv6WithAToken) {
  const int port = FreeLoopbackPort(AF_INET6);
  if (port == 0) GTEST_SKIP() << "no IPv6 loopback (::1) on this host";
  const std::string address = "[::1]:" + std::to_string(port);
  TcpDaemon daemon({address}, kToken + "\n");
  ASSERT_TRUE(daemon.Start());
  auto client = ConnectTcp("tcp://" + address, kToken);
  ASSERT_TRUE(client) << client.error().ToString() << daemon.process().Stderr();
  RenderAndStream(**client);
}

TEST(TcpAuth, LoopbackWithoutATokenFileNeedsNoAuth) {
  const int port = FreeLoopbackPort(AF_INET);
  ASSERT_NE(port, 0);
  const std::string address = "127.0.0.1:" + std::to_string(port);
  TcpDaemon daemon({address}, "");
  ASSERT_TRUE(daemon.Start());
  auto client = ConnectTcp("tcp://" + address, "");
  ASSERT_TRUE(client) << client.error().ToString();
  auto plain = (*client)->Render("Plain", "{}");
  ASSERT_TRUE(plain) << plain.error().ToString();
  EXPECT_EQ(plain->html, "<p>plain</p>");
}

TEST(TcpAuth, AWrongTokenIsUnauthorizedClosedAndNothingIsRendered) {
  const int port = FreeLoopbackPort(AF_INET);
  ASSERT_NE(port, 0);
  TcpDaemon daemon({"127.0.0.1:" + std::to_string(port)}, kToken + "\n");
  ASSERT_TRUE(daemon.Start());

  // A render pipelined right behind the wrong token, in the same write, must not be served.
  auto raw = RawConnection::ConnectTcp("127.0.0.1", port);
  ASSERT_TRUE(raw) << raw.error().ToString();
  ASSERT_TRUE(raw->Write(Frame(Auth(7, kToken + "x")) + Frame(Render(8, "Plain"))));
  auto payload = raw->ReadFrame(std::chrono::seconds(10));
  ASSERT_TRUE(payload) << payload.error().ToString();
  auto reply = ipc::DecodeReply(*payload);
  ASSERT_TRUE(reply) << reply.error().ToString();
  EXPECT_EQ(reply->id, 7u);
  ASSERT_FALSE(reply->ok());
  EXPECT_EQ(reply->error->code, ipc::ErrorCode::kUnauthorized);
  EXPECT_EQ(reply->error->message, "the token is not valid");
  auto next = raw->ReadFrame(std::chrono::seconds(10));
  EXPECT_FALSE(next) << "a frame after the refusal";

  // The C++ client reports it as an error value at connect time.
  auto client = ConnectTcp("tcp://127.0.0.1:" + std::to_string(port), "wrong-token-of-length-20");
  ASSERT_FALSE(client);
  EXPECT_EQ(client.error().code, ipc::ErrorCode::kUnauthorized);

  EXPECT_EQ(daemon.Served(), 0);
  EXPECT_TRUE(Has(daemon.process().Stderr(), "refused a connection from 127.0.0.1:"))
      << daemon.process().Stderr();
  EXPECT_FALSE(Has(daemon.process().Stderr(), kToken)) << "a token reached the log";
}

TEST(TcpAuth, ARequestBeforeAuthIsUnauthorizedAndClosed) {
  const int port = FreeLoopbackPort(AF_INET);
  ASSERT_NE(port, 0);
  TcpDaemon daemon({"127.0.0.1:" + std::to_string(port)}, kToken + "\n");
  ASSERT_TRUE(daemon.Start());
  auto raw = RawConnection::ConnectTcp("127.0.0.1", port);
  ASSERT_TRUE(raw) << raw.error().ToString();
  ASSERT_TRUE(raw->Write(Frame(Render(3, "Plain"))));
  auto payload = raw->ReadFrame(std::chrono::seconds(10));
  ASSERT_TRUE(payload) << payload.error().ToString();
  auto reply = ipc::DecodeReply(*payload);
  ASSERT_TRUE(reply) << reply.error().ToString();
  EXPECT_EQ(reply->id, 3u);
  ASSERT_FALSE(reply->ok());
  EXPECT_EQ(reply->error->code, ipc::ErrorCode::kUnauthorized);
  EXPECT_EQ(reply->error->message, "authenticate first: send op auth with a token");
  EXPECT_TRUE(raw->WaitForClose(std::chrono::seconds(10)));
  EXPECT_EQ(daemon.Served(), 0);

  // A client with no token gets the same answer to its first call.
  auto client = ConnectTcp("tcp://127.0.0.1:" + std::to_string(port), "");
  ASSERT_TRUE(client) << client.error().ToString();
  auto ping = (*client)->Ping();
  ASSERT_FALSE(ping);
  EXPECT_EQ(ping.error().code, ipc::ErrorCode::kUnauthorized);
}

TEST(TcpAuth, BothTokensOfARotationAreAcceptedAndSighupRereadsTheFile) {
  const int port = FreeLoopbackPort(AF_INET);
  ASSERT_NE(port, 0);
  const std::string address = "tcp://127.0.0.1:" + std::to_string(port);
  TcpDaemon daemon({"127.0.0.1:" + std::to_string(port)},
                   "# current, then the next one\n" + kToken + "\n\n  " + kOther + "  \n");
  ASSERT_TRUE(daemon.Start());
  for (const std::string& token : {kToken, kOther}) {
    auto client = ConnectTcp(address, token);
    ASSERT_TRUE(client) << token << ": " << client.error().ToString();
    EXPECT_TRUE((*client)->Ping()) << token;
  }
  // Rotation done: the old token leaves the file, and SIGHUP makes it stick.
  WriteTokens(daemon.tokens_path(), kOther + "\n");
  ASSERT_EQ(::kill(daemon.process().pid(), SIGHUP), 0);
  const auto deadline = Clock::now() + std::chrono::seconds(20);
  while (!Has(daemon.process().Stderr(), "1 token(s)") && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(Has(daemon.process().Stderr(), "1 token(s)")) << daemon.process().Stderr();
  auto old_token = ConnectTcp(address, kToken);
  ASSERT_FALSE(old_token);
  EXPECT_EQ(old_token.error().code, ipc::ErrorCode::kUnauthorized);
  auto new_token = ConnectTcp(address, kOther);
  ASSERT_TRUE(new_token) << new_token.error().ToString();
  EXPECT_TRUE((*new_token)->Ping());

  // A file that no longer loads keeps the tokens in use.
  WriteTokens(daemon.tokens_path(), "short\n");
  ASSERT_EQ(::kill(daemon.process().pid(), SIGHUP), 0);
  const auto second = Clock::now() + std::chrono::seconds(20);
  while (!Has(daemon.process().Stderr(), "keeping the 1 token(s)") && Clock::now() < second) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(Has(daemon.process().Stderr(), "keeping the 1 token(s)"))
      << daemon.process().Stderr();
  auto still = ConnectTcp(address, kOther);
  EXPECT_TRUE(still) << still.error().ToString();
}

TEST(TcpAuth, AUnixSocketAnswersAuthWithoutChecking) {
  TcpDaemon daemon({}, kToken + "\n");
  ASSERT_TRUE(daemon.Start());
  client::ClientOptions options;
  options.auth_token = "anything-a-client-sends-uniformly";
  auto client = client::Client::Connect(daemon.process().socket_path(), options);
  ASSERT_TRUE(client) << client.error().ToString();
  EXPECT_TRUE((*client)->Ping());
}

// ssrd with these arguments must exit 1 at once with exactly one stderr line holding `mention`.
void ExpectRefusedAtStart(const std::vector<std::string>& args, const std::string& mention) {
  TempDir dir;
  std::vector<std::string> argv = {"--socket", dir.File("ssrd.sock"), "--bundle",
                                   BundlesDir() + "/echo.mjs", "--workers", "1"};
  argv.insert(argv.end(), args.begin(), args.end());
  RunResult run = RunProgram(SsrdBinary(), argv, std::chrono::seconds(30));
  ASSERT_FALSE(run.timed_out);
  EXPECT_TRUE(run.status.exited && run.status.exit_code == 1) << run.status.ToString() << run.err;
  EXPECT_TRUE(Has(run.err, mention)) << run.err;
  EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << run.err;
  EXPECT_TRUE(run.out.empty()) << run.out;
}

TEST(TcpAuth, ANonLoopbackListenerWithoutATokenFileIsRefused) {
  // Refused before anything is bound, so nothing listens on a public address even briefly.
  ExpectRefusedAtStart({"--listen", "0.0.0.0:9"},
                       "refusing to listen on 0.0.0.0:9 without --auth-token-file");
  ExpectRefusedAtStart({"--listen", "[::]:9"},
                       "refusing to listen on [::]:9 without --auth-token-file");
  ExpectRefusedAtStart({"--listen", "localhost:9000"}, "cannot listen on localhost:9000: not HOST:PORT");
}

TEST(TcpAuth, BadTokenFilesAreRefusedAtStart) {
  TempDir dir;
  const std::string file = dir.File("tokens");
  WriteTokens(file, "# nothing but comments\n\n");
  ExpectRefusedAtStart({"--auth-token-file", file}, "auth token file " + file + ": no token");
  WriteTokens(file, kToken + "\nshort-token\n");
  ExpectRefusedAtStart({"--auth-token-file", file},
                       "auth token file " + file + ": line 2: a token must be at least 16");
  WriteTokens(file, "a token with spaces in it\n");
  ExpectRefusedAtStart({"--auth-token-file", file}, "printable ASCII without spaces");
  WriteTokens(file, kToken + "\n", 0644);
  ExpectRefusedAtStart({"--auth-token-file", file},
                       "auth token file " + file + ": mode 0644 lets other users read or write it");
  ExpectRefusedAtStart({"--auth-token-file", dir.File("missing")},
                       "auth token file " + dir.File("missing") + ": No such file or directory");
  ExpectRefusedAtStart({"--no-socket"}, "--no-socket leaves nothing to serve on");
}

TEST(TcpAuth, NoSocketServesTcpOnly) {
  const int port = FreeLoopbackPort(AF_INET);
  ASSERT_NE(port, 0);
  const std::string address = "127.0.0.1:" + std::to_string(port);
  TempDir dir;
  DaemonConfig config{BundlesDir() + "/streaming.mjs", 1, {"--no-socket", "--listen", address}};
  config.ready_on = address;
  DaemonProcess daemon(config);
  ASSERT_TRUE(daemon.Start());
  struct stat st;
  EXPECT_NE(::stat(daemon.socket_path().c_str(), &st), 0) << "a Unix socket with --no-socket";
  auto client = ConnectTcp("tcp://" + address, "");
  ASSERT_TRUE(client) << client.error().ToString();
  EXPECT_TRUE((*client)->Ping());
}

TEST(TcpAuth, SocketActivationServesAPassedTcpSocket) {
  const std::string activate = "/usr/bin/systemd-socket-activate";
  if (access(activate.c_str(), X_OK) != 0) {
    GTEST_SKIP() << activate << " is missing: install Debian's systemd package (scripts/setup)";
  }
  const int port = FreeLoopbackPort(AF_INET);
  ASSERT_NE(port, 0);
  const std::string address = "127.0.0.1:" + std::to_string(port);
  TempDir dir;
  const std::string tokens = dir.File("tokens");
  WriteTokens(tokens, kToken + "\n");
  DaemonProcess daemon({.bundle = BundlesDir() + "/streaming.mjs",
                        .workers = 1,
                        .extra_args = {"--auth-token-file", tokens},
                        .wrapper = {activate, "-l", address, "--fdname=ssrd-tcp"}});
  ASSERT_TRUE(daemon.Launch());
  // The activator listens first and starts ssrd at the first connection, which then waits for
  // the auth reply until ssrd has adopted the socket.
  std::optional<ipc::Result<std::unique_ptr<client::Client>>> client;
  const auto deadline = Clock::now() + std::chrono::seconds(20);
  for (;;) {
    client::ClientOptions options;
    options.auth_token = kToken;
    options.connect_timeout = std::chrono::seconds(20);
    client.emplace(client::Client::Connect("tcp://" + address, options));
    if (client->ok() || client->error().code != ipc::ErrorCode::kUnavailable ||
        Clock::now() > deadline) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // not listening yet
  }
  ASSERT_TRUE(client->ok()) << client->error().ToString() << daemon.Stderr();
  auto plain = client->value()->Render("Plain", "{}");
  ASSERT_TRUE(plain) << plain.error().ToString() << daemon.Stderr();
  EXPECT_EQ(plain->html, "<p>plain</p>");
  EXPECT_TRUE(Has(daemon.Stderr(), "socket activation: serving on " + address + " (ssrd-tcp)"))
      << daemon.Stderr();
  client.reset();
  ExitStatus status = daemon.Stop();
  EXPECT_TRUE(status.exited && status.exit_code == 0) << status.ToString() << daemon.Stderr();
}

}  // namespace
}  // namespace ssrd::testing
