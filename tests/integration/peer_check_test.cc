// Issue 11.8 against a real daemon: the socket file's mode and group (--socket-mode,
// --socket-group) and the allowlist checked with SO_PEERCRED on accept (--allow-uid,
// --allow-gid). Clients run as other local users: the test creates them (useradd) and connects
// from forked children that setuid() to them, so it needs root and skips otherwise.
#include <grp.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "ipc/frame.h"
#include "ipc/message.h"
#include "tests/integration/daemon_process.h"
#include "tests/integration/supervision_support.h"

namespace ssrd::testing {
namespace {

struct LocalUser {
  uid_t uid = 0;
  gid_t gid = 0;
};

std::optional<LocalUser> FindUser(const std::string& name) {
  passwd entry{}, *found = nullptr;
  char buffer[4096];
  if (getpwnam_r(name.c_str(), &entry, buffer, sizeof(buffer), &found) != 0 || !found) {
    return std::nullopt;
  }
  return LocalUser{entry.pw_uid, entry.pw_gid};
}

// A system user with a group of its own name, created once; ctest may run several tests at the
// same time, and useradd fails while another holds the lock on /etc/passwd, so this retries.
std::optional<LocalUser> EnsureUser(const std::string& name) {
  std::string why;
  for (int attempt = 0; attempt < 20; ++attempt) {
    if (auto user = FindUser(name)) return user;
    RunResult run = RunProgram("/usr/sbin/useradd", {"--system", "--user-group", "--no-create-home",
                                                     "--shell", "/usr/sbin/nologin", name},
                               std::chrono::seconds(20));
    if (run.status.exited && run.status.exit_code == 0) continue;
    why = run.status.ToString() + " " + run.err;
    usleep(200 * 1000);
  }
  if (auto user = FindUser(name)) return user;
  ADD_FAILURE() << "useradd " << name << ": " << why;
  return std::nullopt;
}

// What a client running as another user saw.
struct PeerResult {
  int connect_errno = 0;  // 0: connected
  std::vector<ipc::Reply> replies;
  bool closed = false;  // the daemon closed the connection (EOF or reset) within 10 s
};

// Forks a child that drops to uid/gid (no supplementary groups), connects to `socket_path`,
// writes `frame`, and reads until the daemon closes or 10 s pass (or, unless `wait_for_close`,
// until one whole frame came); the child reports back through a pipe: connect()'s errno, then the
// bytes it read. Only system calls run in the child (the test process has threads). Exit codes: 0
// closed by the daemon, 3 could not change user, 4 still open after 10 s, 5 got its frame. The
// child is always reaped, and killed if it overstays.
PeerResult ConnectAs(const LocalUser& user, const std::string& socket_path,
                     const std::string& frame, bool wait_for_close) {
  PeerResult result;
  int report[2];
  if (pipe(report) != 0) {
    ADD_FAILURE() << "pipe: " << std::strerror(errno);
    return result;
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, socket_path.c_str(), sizeof(addr.sun_path) - 1);
  pid_t pid = fork();
  if (pid == 0) {
    close(report[0]);
    int err = 0;
    if (setgroups(0, nullptr) != 0 || setgid(user.gid) != 0 || setuid(user.uid) != 0) _exit(3);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) err = errno;
    (void)!write(report[1], &err, sizeof(err));
    if (err != 0) _exit(0);
    // The daemon may refuse and close before this: no SIGPIPE, the reply is read all the same.
    (void)!send(fd, frame.data(), frame.size(), MSG_NOSIGNAL);
    static unsigned char buf[1 << 16];
    std::size_t have = 0;
    for (int waited_ms = 0; waited_ms < 10000;) {
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, 100) == 0) {
        waited_ms += 100;
        continue;
      }
      ssize_t n = read(fd, buf + have, sizeof(buf) - have);
      if (n <= 0) _exit(0);  // end of file or reset: the daemon closed it
      (void)!write(report[1], buf + have, static_cast<std::size_t>(n));
      have += static_cast<std::size_t>(n);
      if (!wait_for_close && have >= 4) {
        std::size_t length = std::size_t{buf[0]} << 24 | std::size_t{buf[1]} << 16 |
                             std::size_t{buf[2]} << 8 | buf[3];
        if (have >= 4 + length) _exit(5);
      }
      if (have == sizeof(buf)) have = 0;  // more than a test reply: keep reading, stop parsing
    }
    _exit(4);
  }
  close(report[1]);
  if (pid < 0) {
    close(report[0]);
    ADD_FAILURE() << "fork: " << std::strerror(errno);
    return result;
  }
  std::string received;
  bool got_errno = false;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  char buf[65536];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) {
      ADD_FAILURE() << "the client as uid " << user.uid << " did not finish in time";
      break;
    }
    pollfd p{report[0], POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left)) <= 0) continue;
    ssize_t n = read(report[0], buf, sizeof(buf));
    if (n <= 0) break;
    received.append(buf, static_cast<std::size_t>(n));
  }
  close(report[0]);
  kill(pid, SIGKILL);  // a no-op when it has exited already; it never outlives the test
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 3) {
    ADD_FAILURE() << "the child could not become uid " << user.uid;
    return result;
  }
  if (received.size() >= sizeof(int)) {
    std::memcpy(&result.connect_errno, received.data(), sizeof(int));
    received.erase(0, sizeof(int));
    got_errno = true;
  }
  EXPECT_TRUE(got_errno) << "the child reported nothing";
  result.closed = result.connect_errno == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  ipc::FrameDecoder decoder;
  decoder.Feed(received);
  std::string payload;
  while (decoder.Next(&payload) == ipc::FrameDecoder::Status::kFrame) {
    auto reply = ipc::DecodeReply(payload);
    EXPECT_TRUE(reply.ok()) << reply.error().ToString();
    if (reply.ok()) result.replies.push_back(reply.value());
  }
  return result;
}

std::string RenderFrame(std::uint64_t id) {
  std::string frame;
  ipc::EncodeRequest(RenderRequest(id, "Echo", R"({"who":"peer"})"), &frame);
  return frame;
}

class PeerCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) {
      GTEST_SKIP() << "needs root: it creates local users (useradd) and connects as them "
                      "(setuid); running as uid "
                   << geteuid();
    }
    auto a = EnsureUser("ssrd-test-peer-a");
    auto b = EnsureUser("ssrd-test-peer-b");
    ASSERT_TRUE(a && b) << "cannot create the test users";
    allowed_ = *a;
    other_ = *b;
  }

  // The daemon's temp dir is private (0700): others must be able to reach the socket inside it.
  static void OpenDirectory(const DaemonProcess& daemon) {
    ASSERT_EQ(chmod(daemon.dir().c_str(), 0755), 0) << std::strerror(errno);
  }

  LocalUser allowed_, other_;
};

TEST_F(PeerCheckTest, AnUnlistedUserGetsForbiddenAndListedOnesRender) {
  TempDir dir;
  std::string bundle = CopyBundle(dir, "faults.mjs");
  // The mode lets everyone connect: only the allowlist stands between them and the daemon.
  DaemonProcess daemon(DaemonConfig{
      bundle, 1, {"--socket-mode", "0666", "--allow-uid", "ssrd-test-peer-a"}});
  ASSERT_TRUE(daemon.Start());
  OpenDirectory(daemon);

  PeerResult refused = ConnectAs(other_, daemon.socket_path(), RenderFrame(1), true);
  ASSERT_EQ(refused.connect_errno, 0) << std::strerror(refused.connect_errno);
  ASSERT_EQ(refused.replies.size(), 1u) << "exactly one frame, then the close";
  const ipc::Reply& forbidden = refused.replies[0];
  EXPECT_EQ(forbidden.id, 0u);
  ASSERT_FALSE(forbidden.ok());
  EXPECT_EQ(ipc::ErrorCodeName(forbidden.error->code), "forbidden");
  const std::string who =
      "uid " + std::to_string(other_.uid) + " gid " + std::to_string(other_.gid) + " pid ";
  EXPECT_EQ(forbidden.error->message.rfind("this peer (" + who, 0), 0u) << forbidden.error->message;
  EXPECT_NE(forbidden.error->message.find(") is not allowed to use this socket"), std::string::npos)
      << forbidden.error->message;
  EXPECT_TRUE(refused.closed);
  EXPECT_TRUE(WaitFor([&] { return daemon.Stderr().find("refused a connection from " + who) !=
                                   std::string::npos; },
                      std::chrono::seconds(5)))
      << daemon.Stderr();

  PeerResult served = ConnectAs(allowed_, daemon.socket_path(), RenderFrame(2), false);
  ASSERT_EQ(served.connect_errno, 0);
  ASSERT_EQ(served.replies.size(), 1u);
  EXPECT_EQ(served.replies[0].id, 2u);
  ASSERT_TRUE(served.replies[0].ok()) << served.replies[0].error->ToString();
  EXPECT_EQ(served.replies[0].html, R"(<p>Echo:{"who":"peer"}</p>)");

  // Root (this test) is always let in, like the daemon's own user.
  PeerResult root = ConnectAs(LocalUser{0, 0}, daemon.socket_path(), RenderFrame(3), false);
  ASSERT_EQ(root.replies.size(), 1u);
  EXPECT_TRUE(root.replies[0].ok());
}

TEST_F(PeerCheckTest, WithoutAnAllowlistTheSocketModeAndGroupDecide) {
  TempDir dir;
  std::string bundle = CopyBundle(dir, "faults.mjs");
  DaemonProcess daemon(DaemonConfig{
      bundle, 1, {"--socket-mode", "0660", "--socket-group", "ssrd-test-peer-a"}});
  ASSERT_TRUE(daemon.Start());
  OpenDirectory(daemon);
  struct stat st;
  ASSERT_EQ(stat(daemon.socket_path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0660u);
  EXPECT_EQ(st.st_gid, allowed_.gid);

  PeerResult member = ConnectAs(allowed_, daemon.socket_path(), RenderFrame(1), false);
  ASSERT_EQ(member.connect_errno, 0) << std::strerror(member.connect_errno);
  ASSERT_EQ(member.replies.size(), 1u);
  EXPECT_TRUE(member.replies[0].ok());

  PeerResult outsider = ConnectAs(other_, daemon.socket_path(), RenderFrame(2), true);
  EXPECT_EQ(outsider.connect_errno, EACCES) << std::strerror(outsider.connect_errno);
}

TEST_F(PeerCheckTest, AListedGroupLetsItsMembersIn) {
  TempDir dir;
  std::string bundle = CopyBundle(dir, "faults.mjs");
  DaemonProcess daemon(DaemonConfig{
      bundle, 1, {"--socket-mode", "0666", "--allow-gid", std::to_string(allowed_.gid)}});
  ASSERT_TRUE(daemon.Start());
  OpenDirectory(daemon);
  PeerResult member = ConnectAs(allowed_, daemon.socket_path(), RenderFrame(1), false);
  ASSERT_EQ(member.replies.size(), 1u);
  EXPECT_TRUE(member.replies[0].ok());
  PeerResult outsider = ConnectAs(other_, daemon.socket_path(), RenderFrame(2), true);
  ASSERT_EQ(outsider.replies.size(), 1u);
  EXPECT_EQ(ipc::ErrorCodeName(outsider.replies[0].error->code), "forbidden");
}

// Not root-only: the options as a config file and environment see them.
TEST(SocketAccessConfigTest, ListsRoundTripThroughPrintConfigAndMistakesAreOneLine) {
  TempDir dir;
  const std::string bundle = BundlesDir() + "/echo.mjs";
  WriteFile(dir.File("ssrd.toml"),
            "allow-uid = [\"0\", \"root\"]\n"
            "socket-mode = \"0o640\"\n");
  RunResult first = RunProgram(SsrdBinary(),
                               {"--config", dir.File("ssrd.toml"), "--bundle", bundle,
                                "--allow-uid", "1,2", "--allow-uid", "3", "--print-config"},
                               std::chrono::seconds(10), {{"SSRD_ALLOW_GID", "5,6"}});
  ASSERT_EQ(first.status.exit_code, 0) << first.err;
  EXPECT_NE(first.out.find("\nallow-uid = [\"1\", \"2\", \"3\"]  # command line\n"),
            std::string::npos)
      << first.out;
  EXPECT_NE(first.out.find("\nallow-gid = [\"5\", \"6\"]  # environment SSRD_ALLOW_GID\n"),
            std::string::npos)
      << first.out;
  EXPECT_NE(first.out.find("\nsocket-mode = \"0o640\"  # " + dir.File("ssrd.toml") + ":2\n"),
            std::string::npos)
      << first.out;
  EXPECT_NE(first.out.find("\nmax-connections = 4096  # default\n"), std::string::npos);
  EXPECT_NE(first.out.find("\nidle-timeout-ms = 60000  # default\n"), std::string::npos);
  EXPECT_NE(first.out.find("\nsocket-group = \"\"  # default\n"), std::string::npos);

  WriteFile(dir.File("printed.toml"), first.out);
  RunResult second = RunProgram(SsrdBinary(), {"--config", dir.File("printed.toml"),
                                               "--print-config"},
                                std::chrono::seconds(10));
  ASSERT_EQ(second.status.exit_code, 0) << second.err;
  EXPECT_NE(second.out.find("\nallow-uid = [\"1\", \"2\", \"3\"]  # "), std::string::npos)
      << second.out;

  WriteFile(dir.File("bad.toml"), "socket-mode = \"0999\"\n");
  RunResult bad = RunProgram(SsrdBinary(), {"--config", dir.File("bad.toml"), "--bundle", bundle},
                             std::chrono::seconds(10));
  EXPECT_EQ(bad.status.exit_code, 1);
  EXPECT_EQ(bad.err, "ssrd: error: " + dir.File("bad.toml") +
                         ":1: key 'socket-mode': expected an octal mode such as 0660, got \"0999\"\n");

  RunResult unknown = RunProgram(SsrdBinary(),
                                 {"--bundle", bundle, "--socket", dir.File("s.sock"),
                                  "--allow-uid", "no-such-user-ssrd"},
                                 std::chrono::seconds(10));
  EXPECT_EQ(unknown.status.exit_code, 1);
  EXPECT_EQ(unknown.err, "ssrd: error: --allow-uid: no such user \"no-such-user-ssrd\"\n");
}

}  // namespace
}  // namespace ssrd::testing
