// ssrd under systemd, with systemd's own pieces where they exist here: a NOTIFY_SOCKET listener
// that sees the sd_notify sequence (READY, STATUS, RELOADING/READY, WATCHDOG, STOPPING),
// systemd-socket-activate passing a socket, and systemd-analyze verifying the shipped units.
#include <gtest/gtest.h>

#include <algorithm>

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "clients/cpp/client.h"
#include "tests/integration/daemon_process.h"

namespace ssrd::testing {
namespace {

using Clock = std::chrono::steady_clock;

// The datagram socket systemd would hold: each sd_notify call is one datagram.
class NotifyListener {
 public:
  explicit NotifyListener(std::string path) : path_(std::move(path)) {
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
    bound_ = fd_ >= 0 && bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~NotifyListener() {
    if (fd_ >= 0) close(fd_);
    unlink(path_.c_str());
  }
  bool bound() const { return bound_; }
  const std::string& path() const { return path_; }

  struct Message {
    Clock::time_point at;
    std::string text;
  };

  // Every datagram until one containing `needle` (returned), or nullopt past the bound.
  std::optional<Message> WaitFor(const std::string& needle, std::chrono::milliseconds bound) {
    const auto deadline = Clock::now() + bound;
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char buffer[4096];
      ssize_t n = recv(fd_, buffer, sizeof(buffer), 0);
      if (n <= 0) continue;
      Message m{Clock::now(), std::string(buffer, static_cast<std::size_t>(n))};
      log_.push_back(m);
      if (m.text.find(needle) != std::string::npos) return m;
    }
  }
  std::string Log() const {
    std::string all;
    for (const auto& m : log_) all += "  [" + m.text + "]\n";
    return all;
  }
  std::vector<Message> log_;

 private:
  std::string path_;
  int fd_ = -1;
  bool bound_ = false;
};

bool Has(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

TEST(SystemdNotify, ReadyStatusReloadWatchdogStoppingInOrder) {
  TempDir dir;
  NotifyListener notify(dir.File("notify.sock"));
  ASSERT_TRUE(notify.bound()) << std::strerror(errno);
  DaemonProcess daemon({.bundle = BundlesDir() + "/echo.mjs",
                        .workers = 2,
                        .extra_args = {"--no-watch"},
                        .env = {{"NOTIFY_SOCKET", notify.path()},
                                {"WATCHDOG_USEC", "600000"},
                                {"SSRD_TEST_STALL_LOOP_MS", "2000"}}});
  ASSERT_TRUE(daemon.Start());

  // READY comes once the workers are ready (the ready line is printed just after it).
  auto ready = notify.WaitFor("READY=1", 5s);
  ASSERT_TRUE(ready) << notify.Log();
  EXPECT_TRUE(Has(ready->text, "STATUS=2/2 workers ready, generation 1")) << ready->text;
  for (const auto& m : notify.log_) {
    EXPECT_FALSE(Has(m.text, "STOPPING") || Has(m.text, "RELOADING")) << notify.Log();
  }

  // The heartbeat: every 300 ms (half of WATCHDOG_USEC).
  auto beat1 = notify.WaitFor("WATCHDOG=1", 2s);
  auto beat2 = notify.WaitFor("WATCHDOG=1", 2s);
  ASSERT_TRUE(beat1 && beat2) << notify.Log();
  EXPECT_LT(beat2->at - beat1->at, 550ms);

  // A render moves the STATUS line's count.
  {
    auto client = client::Client::Connect(daemon.socket_path());
    ASSERT_TRUE(client.ok()) << client.error().message;
    ASSERT_TRUE((*client)->Render("Echo", R"({"n":1})").ok());
  }
  EXPECT_TRUE(notify.WaitFor("1 served", 3s)) << notify.Log();

  // SIGHUP: RELOADING=1 with MONOTONIC_USEC, then READY=1 with the new generation.
  ASSERT_EQ(::kill(daemon.pid(), SIGHUP), 0);
  auto reloading = notify.WaitFor("RELOADING=1", 5s);
  ASSERT_TRUE(reloading) << notify.Log();
  EXPECT_TRUE(Has(reloading->text, "MONOTONIC_USEC=")) << reloading->text;
  auto reloaded = notify.WaitFor("READY=1", 10s);
  ASSERT_TRUE(reloaded) << notify.Log();
  EXPECT_TRUE(Has(reloaded->text, "generation 2")) << reloaded->text;
  EXPECT_TRUE(Has(reloaded->text, "last reload")) << reloaded->text;

  // A stalled loop sends no heartbeat: a 2 s gap, where systemd would have restarted ssrd.
  // Heartbeats are timed as they are read, so the ones already queued are read first, and the
  // gap is looked for between consecutive heartbeats read as they come.
  while (notify.WaitFor("WATCHDOG=1", 100ms)) {
  }
  Clock::time_point previous = Clock::now();  // no heartbeat is queued now
  ASSERT_EQ(::kill(daemon.pid(), SIGUSR2), 0);
  auto longest_gap = Clock::duration::zero();
  for (int beat = 0; beat < 6; ++beat) {
    auto next = notify.WaitFor("WATCHDOG=1", 5s);
    ASSERT_TRUE(next) << "the heartbeat never came back\n" << notify.Log();
    longest_gap = std::max(longest_gap, next->at - previous);
    previous = next->at;
    if (longest_gap >= 1500ms) break;
  }
  EXPECT_GE(longest_gap, 1500ms) << "the heartbeat went on during the stall";

  // SIGTERM: STOPPING=1 as the drain starts.
  ASSERT_EQ(::kill(daemon.pid(), SIGTERM), 0);
  auto stopping = notify.WaitFor("STOPPING=1", 5s);
  ASSERT_TRUE(stopping) << notify.Log();
  ExitStatus status = daemon.WaitForExit(15s);
  EXPECT_TRUE(status.exited && status.exit_code == 0) << status.ToString();
}

TEST(SystemdNotify, FileWatchReloadsAreReportedAndAFailedOneSaysSo) {
  TempDir dir;
  NotifyListener notify(dir.File("notify.sock"));
  ASSERT_TRUE(notify.bound()) << std::strerror(errno);
  const std::string bundle = dir.File("app/server.mjs");
  std::filesystem::create_directories(dir.File("app"));
  WriteFile(bundle, ReadFileOrEmpty(BundlesDir() + "/echo.mjs"));
  DaemonProcess daemon({.bundle = bundle, .workers = 1,
                        .env = {{"NOTIFY_SOCKET", notify.path()}}});
  ASSERT_TRUE(daemon.Start());
  ASSERT_TRUE(notify.WaitFor("READY=1", 5s)) << notify.Log();

  // A deploy the watcher sees: RELOADING, then READY once the new generation serves.
  WriteFile(bundle, ReadFileOrEmpty(BundlesDir() + "/echo.mjs") + "\n// v2\n");
  ASSERT_TRUE(notify.WaitFor("RELOADING=1", 10s)) << notify.Log();
  auto served = notify.WaitFor("READY=1", 15s);
  ASSERT_TRUE(served) << notify.Log();
  EXPECT_TRUE(Has(served->text, "generation 2")) << served->text;
  EXPECT_TRUE(Has(served->text, " ok")) << served->text;

  // A broken deploy: still READY (the previous bundle serves), and STATUS says it failed.
  WriteFile(bundle, ReadFileOrEmpty(BundlesDir() + "/syntax_error.mjs"));
  ASSERT_TRUE(notify.WaitFor("RELOADING=1", 10s)) << notify.Log();
  auto failed = notify.WaitFor("READY=1", 15s);
  ASSERT_TRUE(failed) << notify.Log();
  EXPECT_TRUE(Has(failed->text, "generation 2")) << failed->text;
  EXPECT_TRUE(Has(failed->text, " failed")) << failed->text;
  daemon.Stop();
}

TEST(SystemdNotify, SilentWithoutNotifySocket) {
  // Not under Type=notify: nothing to tell, and no heartbeat timer keeps the loop busy.
  DaemonProcess daemon({.bundle = BundlesDir() + "/echo.mjs", .workers = 1,
                        .env = {{"WATCHDOG_USEC", "600000"}}});
  ASSERT_TRUE(daemon.Start());
  ExitStatus status = daemon.Stop();
  EXPECT_TRUE(status.exited && status.exit_code == 0) << status.ToString();
  EXPECT_FALSE(Has(daemon.Stderr(), "watchdog")) << daemon.Stderr();
}

TEST(SystemdSocketActivation, RendersOnAPassedSocketAndLeavesItInPlace) {
  const std::string activate = "/usr/bin/systemd-socket-activate";
  if (access(activate.c_str(), X_OK) != 0) {
    GTEST_SKIP() << activate << " is missing: install Debian's systemd package (scripts/setup)";
  }
  TempDir dir;
  const std::string socket = dir.File("activated.sock");
  // DaemonProcess's own --socket points elsewhere: a passed socket must win over it.
  DaemonProcess daemon({.bundle = BundlesDir() + "/echo.mjs",
                        .workers = 1,
                        .wrapper = {activate, "-l", socket, "--fdname=ssrd"}});
  ASSERT_TRUE(daemon.Launch());
  // systemd-socket-activate listens first and starts ssrd at the first connection.
  const auto deadline = Clock::now() + 10s;
  struct stat st;
  while (stat(socket.c_str(), &st) != 0 && Clock::now() < deadline) usleep(10000);
  ASSERT_EQ(stat(socket.c_str(), &st), 0) << "no socket from " << activate << "\n"
                                          << daemon.Stderr();
  auto client = client::Client::Connect(socket);
  ASSERT_TRUE(client.ok()) << client.error().message;
  auto rendered = (*client)->Render("Echo", R"({"n":7})");
  ASSERT_TRUE(rendered.ok()) << rendered.error().message << "\n" << daemon.Stderr();
  EXPECT_EQ(rendered.value().html, R"(<p>Echo:{"n":7}</p>)");
  EXPECT_TRUE(Has(daemon.Stdout(), "ssrd: ready on " + socket + " with 1 workers"))
      << daemon.Stdout();
  EXPECT_TRUE(Has(daemon.Stderr(), "socket activation: serving on " + socket + " (ssrd)"))
      << daemon.Stderr();
  client.value().reset();

  ExitStatus status = daemon.Stop();
  EXPECT_TRUE(status.exited && status.exit_code == 0) << status.ToString() << daemon.Stderr();
  // The socket belongs to whoever made it (systemd keeps it for the next start).
  EXPECT_EQ(lstat(socket.c_str(), &st), 0) << "ssrd unlinked a socket it did not create";
  EXPECT_NE(lstat(daemon.socket_path().c_str(), &st), 0) << "ssrd bound --socket as well";
}

TEST(SystemdSocketActivation, RefusesAPassedSocketThatIsNotUnixStream) {
  const std::string activate = "/usr/bin/systemd-socket-activate";
  if (access(activate.c_str(), X_OK) != 0) {
    GTEST_SKIP() << activate << " is missing: install Debian's systemd package (scripts/setup)";
  }
  TempDir dir;
  const std::string path = dir.File("dgram.sock");
  DaemonProcess daemon({.bundle = BundlesDir() + "/echo.mjs",
                        .workers = 1,
                        .wrapper = {activate, "-d", "-l", path}});
  ASSERT_TRUE(daemon.Launch());
  const auto deadline = Clock::now() + 10s;
  struct stat st;
  while (stat(path.c_str(), &st) != 0 && Clock::now() < deadline) usleep(10000);
  ASSERT_EQ(stat(path.c_str(), &st), 0) << daemon.Stderr();
  // A datagram wakes the activator, which then starts ssrd on the datagram socket.
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  sendto(fd, "x", 1, 0, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  close(fd);
  ExitStatus status = daemon.WaitForExit(15s);
  EXPECT_TRUE(status.exited && status.exit_code == 1) << status.ToString();
  EXPECT_TRUE(Has(daemon.Stderr(), "is not a listening Unix or TCP stream socket")) << daemon.Stderr();
}

// JOURNAL_STREAM names the device and inode of the stream systemd gave as stderr: the wrapper
// points it at whatever stderr is, as systemd would.
const std::vector<std::string> kAsIfJournal = {
    "/bin/sh", "-c", "JOURNAL_STREAM=$(stat -L -c %d:%i /proc/self/fd/2) exec \"$0\" \"$@\""};

TEST(SystemdJournal, LinesCarryPriorityAndNoTimestampWhenStderrIsTheJournal) {
  DaemonProcess daemon({.bundle = BundlesDir() + "/echo.mjs", .workers = 1,
                        .wrapper = kAsIfJournal});
  ASSERT_TRUE(daemon.Start());
  ASSERT_EQ(::kill(daemon.pid(), SIGHUP), 0);  // logs at info, and a worker logs too
  ExitStatus status = daemon.Stop();
  EXPECT_TRUE(status.exited && status.exit_code == 0) << status.ToString();
  const std::string err = daemon.Stderr();
  EXPECT_TRUE(Has(err, "<6>[ssrd] [info] received SIGHUP")) << err;
  EXPECT_TRUE(Has(err, "<6>[worker ")) << "worker lines too:\n" << err;
  std::size_t lines = 0;
  for (std::size_t at = 0; at < err.size(); at = err.find('\n', at) + 1) {
    ++lines;
    EXPECT_EQ(err[at], '<') << "a line without its priority: " << err.substr(at, 80);
    if (err.find('\n', at) == std::string::npos) break;
  }
  EXPECT_GT(lines, 2u);
}

TEST(SystemdJournal, ErrorsArePriorityThree) {
  DaemonProcess daemon({.bundle = BundlesDir() + "/no_such_bundle.mjs", .workers = 1,
                        .wrapper = kAsIfJournal});
  EXPECT_FALSE(daemon.Start(10s));
  EXPECT_TRUE(Has(daemon.Stderr(), "<3>ssrd: error: cannot read bundle")) << daemon.Stderr();
}

TEST(SystemdJournal, TimestampsStayWhenStderrIsNotTheJournal) {
  // A JOURNAL_STREAM inherited from elsewhere, while stderr is a file: plain lines.
  DaemonProcess daemon({.bundle = BundlesDir() + "/echo.mjs", .workers = 1,
                        .env = {{"JOURNAL_STREAM", "1:1"}}});
  ASSERT_TRUE(daemon.Start());
  daemon.Stop();
  // Every line, the supervisor's and the worker's, keeps its timestamp.
  std::string err = daemon.Stderr();
  std::size_t lines = 0;
  for (std::size_t at = 0; at < err.size(); at = err.find('\n', at) + 1) {
    if (err.find('\n', at) == std::string::npos) break;
    ++lines;
    EXPECT_TRUE(err.compare(at, 3, "[20") == 0 || err.compare(at, 2, "20") == 0)
        << "line without a timestamp at " << at << " in:\n" << err;
  }
  EXPECT_GE(lines, 2u) << err;
  EXPECT_FALSE(Has(err, "<6>")) << err;
}

}  // namespace
}  // namespace ssrd::testing
