// Test helpers that drive real processes: the ssrd daemon as a child with a socket in a private
// temp dir, a bounded "run this program to completion", and a /proc scan for leftover processes.
//
// Every wait is bounded. DaemonProcess always stops its child in its destructor (SIGTERM, then
// SIGKILL after a grace period) and reaps it, so a failing test never leaves a daemon behind.
// The child's stdout and stderr go to files in the temp dir (files never fill up and block the
// child the way an undrained pipe would). Not thread-safe: one test thread drives it.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <sys/types.h>

#include <gtest/gtest.h>

namespace ssrd::testing {

using namespace std::chrono_literals;

// Paths baked in by tests/integration/CMakeLists.txt.
std::string SsrdBinary();
std::string WorkerBinary();
std::string BundlesDir();  // tests/integration/bundles in the source tree

// A fresh directory under /tmp, removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string File(std::string_view name) const { return path_ + "/" + std::string(name); }

 private:
  std::string path_;
};

std::string ReadFileOrEmpty(const std::string& path);
void WriteFile(const std::string& path, std::string_view contents);

// How a finished child ended.
struct ExitStatus {
  bool exited = false;  // true: exit_code is valid; false: killed by term_signal
  int exit_code = -1;
  int term_signal = 0;
  std::string ToString() const;
};

struct RunResult {
  bool timed_out = false;  // the bound passed; the child was SIGKILLed
  ExitStatus status;
  std::string out;
  std::string err;
};

// Runs `exe args…` with stdin from /dev/null, waits at most `timeout`, collects stdout/stderr.
RunResult RunProgram(const std::string& exe, const std::vector<std::string>& args,
                     std::chrono::milliseconds timeout,
                     const std::vector<std::pair<std::string, std::string>>& env = {});

// Pids (other than this process) whose command line contains `needle`.
std::vector<pid_t> ProcessesWithArg(std::string_view needle);

struct DaemonConfig {
  std::string bundle;  // absolute path
  int workers = 2;
  std::vector<std::string> extra_args = {};
  // Added to (or replacing in) the inherited environment.
  std::vector<std::pair<std::string, std::string>> env = {};
  // A program that runs ssrd for us (e.g. systemd-socket-activate -l PATH): ssrd's path and
  // arguments are appended to it.
  std::vector<std::string> wrapper = {};
  // "" = the build tree's (SsrdBinary(), WorkerBinary()); an installed copy for install tests.
  std::string ssrd_binary = {};
  std::string worker_binary = {};
  // What the ready line names after "ready on ": ready_on ("" = the socket path), then each of
  // ready_also_on after ", " (the --listen addresses).
  std::string ready_on = {};
  std::vector<std::string> ready_also_on = {};
};

class DaemonProcess {
 public:
  // The socket is <temp dir>/ssrd.sock.
  explicit DaemonProcess(DaemonConfig config);
  ~DaemonProcess();  // Stop()
  DaemonProcess(const DaemonProcess&) = delete;
  DaemonProcess& operator=(const DaemonProcess&) = delete;

  // Starts ssrd and waits for exactly "ssrd: ready on <socket> with <N> workers" on its stdout.
  // Fails (and kills the child) when it exits first or the line does not come within the bound.
  ::testing::AssertionResult Start(std::chrono::milliseconds ready_timeout = 30s);
  // Start in two steps, for a daemon that becomes ready only once something else happens (a
  // socket-activated one starts at the first connection).
  ::testing::AssertionResult Launch();
  ::testing::AssertionResult WaitReady(std::chrono::milliseconds ready_timeout = 30s);
  // SIGTERM, wait up to `grace`, then SIGKILL. Returns how it ended; a no-op when not running.
  ExitStatus Stop(std::chrono::milliseconds grace = 10s);
  // Waits for an exit the test caused itself (e.g. by its own SIGTERM), sending no signal; past
  // the bound it fails the test and kills the daemon.
  ExitStatus WaitForExit(std::chrono::milliseconds bound = 30s);
  // SIGKILL and reap, as a crash would: the socket file stays behind.
  void Kill();
  bool running();

  const std::string& socket_path() const { return socket_path_; }
  const std::string& dir() const { return dir_.path(); }
  pid_t pid() const;
  std::string Stdout() const;
  std::string Stderr() const;

 private:
  struct Child;
  ExitStatus WaitBounded(std::chrono::milliseconds bound, bool* timed_out);

  DaemonConfig config_;
  TempDir dir_;
  std::string socket_path_;
  int generation_ = 0;  // each start logs to its own files
  std::unique_ptr<Child> child_;
};

}  // namespace ssrd::testing
