#include "tests/integration/daemon_process.h"

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>
#include <thread>

#include <sys/wait.h>
#include <unistd.h>

#include <boost/process.hpp>

namespace ssrd::testing {
namespace bp = boost::process;
namespace fs = std::filesystem;

std::string SsrdBinary() { return SSRD_TEST_SSRD_BINARY; }
std::string WorkerBinary() { return SSRD_TEST_WORKER_BINARY; }
std::string BundlesDir() { return SSRD_TEST_BUNDLES_DIR; }

TempDir::TempDir() {
  std::string pattern = "/tmp/ssrd-test-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) std::abort();  // nothing sensible to test without it
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void WriteFile(const std::string& path, std::string_view contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
}

std::string ExitStatus::ToString() const {
  return exited ? "exit code " + std::to_string(exit_code)
                : "killed by signal " + std::to_string(term_signal);
}

namespace {

// Polls instead of blocking in wait(), so that every wait has a bound; running() reaps the child
// when it has exited and records its status.
ExitStatus WaitChild(bp::child& child, std::chrono::milliseconds bound, bool* timed_out) {
  *timed_out = false;
  const auto deadline = std::chrono::steady_clock::now() + bound;
  for (;;) {
    std::error_code ec;
    const bool running = child.running(ec);
    if (ec || !running) {
      const int raw = child.native_exit_code();
      ExitStatus status;
      if (WIFEXITED(raw)) {
        status.exited = true;
        status.exit_code = WEXITSTATUS(raw);
      } else if (WIFSIGNALED(raw)) {
        status.term_signal = WTERMSIG(raw);
      }
      return status;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      *timed_out = true;
      return {};
    }
    std::this_thread::sleep_for(5ms);
  }
}

ExitStatus KillAndReap(bp::child& child) {
  ::kill(child.id(), SIGKILL);
  bool timed_out = false;
  return WaitChild(child, 10s, &timed_out);
}

}  // namespace

namespace {

// Runs `exe` with `env` added to this process's environment, through env(1). Boost.Process 1.74
// cannot do it safely: its environment lookup (basic_environment_impl::find) compares a name
// with every entry without checking the entry's length, so an entry shorter than the name is
// read past its end (AddressSanitizer: heap-buffer-overflow, scripts/sanitize).
void AddEnvironment(const std::vector<std::pair<std::string, std::string>>& env, std::string* exe,
                    std::vector<std::string>* args) {
  if (env.empty()) return;
  std::vector<std::string> with;
  for (const auto& [name, value] : env) with.push_back(name + "=" + value);
  with.push_back(*exe);
  args->insert(args->begin(), with.begin(), with.end());
  *exe = "/usr/bin/env";
}

}  // namespace

RunResult RunProgram(const std::string& exe, const std::vector<std::string>& args,
                     std::chrono::milliseconds timeout,
                     const std::vector<std::pair<std::string, std::string>>& env) {
  TempDir dir;
  const std::string out_path = dir.File("stdout"), err_path = dir.File("stderr");
  RunResult result;
  std::string program = exe;
  std::vector<std::string> arguments = args;
  AddEnvironment(env, &program, &arguments);
  try {
    bp::child child(bp::exe = program, bp::args = arguments, bp::std_in < bp::null,
                    bp::std_out > out_path, bp::std_err > err_path);
    result.status = WaitChild(child, timeout, &result.timed_out);
    if (result.timed_out) result.status = KillAndReap(child);
  } catch (const std::exception& e) {
    result.err = std::string("cannot start ") + exe + ": " + e.what();
    return result;
  }
  result.out = ReadFileOrEmpty(out_path);
  result.err = ReadFileOrEmpty(err_path);
  return result;
}

std::vector<pid_t> ProcessesWithArg(std::string_view needle) {
  std::vector<pid_t> pids;
  const pid_t self = ::getpid();
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = static_cast<pid_t>(std::stol(name));
    if (pid == self) continue;
    std::string cmdline = ReadFileOrEmpty(entry.path().string() + "/cmdline");
    for (char& c : cmdline) {
      if (c == '\0') c = ' ';
    }
    if (cmdline.find(needle) != std::string::npos) pids.push_back(pid);
  }
  return pids;
}

struct DaemonProcess::Child {
  bp::child process;
  std::string out_path;
  std::string err_path;
  bool finished = false;  // reaped; `status` says how it ended
  ExitStatus status;
};

DaemonProcess::DaemonProcess(DaemonConfig config)
    : config_(std::move(config)), socket_path_(dir_.File("ssrd.sock")) {}

DaemonProcess::~DaemonProcess() { Stop(); }

pid_t DaemonProcess::pid() const { return child_ ? child_->process.id() : -1; }
std::string DaemonProcess::Stdout() const {
  return child_ ? ReadFileOrEmpty(child_->out_path) : "";
}
std::string DaemonProcess::Stderr() const {
  return child_ ? ReadFileOrEmpty(child_->err_path) : "";
}

bool DaemonProcess::running() {
  if (!child_ || child_->finished) return false;
  std::error_code ec;
  return child_->process.running(ec) && !ec;
}

::testing::AssertionResult DaemonProcess::Start(std::chrono::milliseconds ready_timeout) {
  if (auto launched = Launch(); !launched) return launched;
  return WaitReady(ready_timeout);
}

::testing::AssertionResult DaemonProcess::Launch() {
  Stop();
  ++generation_;
  auto child = std::make_unique<Child>();
  child->out_path = dir_.File("ssrd.stdout." + std::to_string(generation_));
  child->err_path = dir_.File("ssrd.stderr." + std::to_string(generation_));
  std::vector<std::string> args = {"--socket",  socket_path_,
                                   "--bundle",  config_.bundle,
                                   "--workers", std::to_string(config_.workers),
                                   "--worker-executable",
                                   config_.worker_binary.empty() ? WorkerBinary()
                                                                 : config_.worker_binary};
  args.insert(args.end(), config_.extra_args.begin(), config_.extra_args.end());
  // Tests share one snapshot cache in the build tree rather than the user's home.
  if (std::find_if(args.begin(), args.end(), [](const std::string& a) {
        return a == "--snapshot-dir" || a == "--no-snapshot";
      }) == args.end()) {
    args.insert(args.end(), {"--snapshot-dir", SSRD_TEST_SNAPSHOT_DIR});
  }
  std::string exe = config_.ssrd_binary.empty() ? SsrdBinary() : config_.ssrd_binary;
  if (!config_.wrapper.empty()) {
    args.insert(args.begin(), exe);
    args.insert(args.begin(), config_.wrapper.begin() + 1, config_.wrapper.end());
    exe = config_.wrapper.front();
  }
  AddEnvironment(config_.env, &exe, &args);
  try {
    child->process = bp::child(bp::exe = exe, bp::args = args, bp::std_in < bp::null,
                               bp::std_out > child->out_path, bp::std_err > child->err_path);
  } catch (const std::exception& e) {
    return ::testing::AssertionFailure() << "cannot start " << exe << ": " << e.what();
  }
  child_ = std::move(child);
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult DaemonProcess::WaitReady(std::chrono::milliseconds ready_timeout) {
  if (!child_) return ::testing::AssertionFailure() << "ssrd was not launched";

  std::string where = config_.ready_on.empty() ? socket_path_ : config_.ready_on;
  for (const std::string& also : config_.ready_also_on) where += ", " + also;
  const std::string expected =
      "ssrd: ready on " + where + " with " + std::to_string(config_.workers) + " workers\n";
  const auto deadline = std::chrono::steady_clock::now() + ready_timeout;
  for (;;) {
    const std::string out = Stdout();
    if (out.find('\n') != std::string::npos) {
      if (out == expected) return ::testing::AssertionSuccess();
      auto failure = ::testing::AssertionFailure()
                     << "ssrd printed\n  " << out << "instead of\n  " << expected
                     << "stderr:\n" << Stderr();
      Stop();
      return failure;
    }
    if (!running()) {
      const ExitStatus status = Stop();
      return ::testing::AssertionFailure() << "ssrd ended before it was ready ("
                                           << status.ToString() << "); stderr:\n" << Stderr();
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      auto failure = ::testing::AssertionFailure()
                     << "ssrd not ready within " << ready_timeout.count() << " ms; stderr:\n"
                     << Stderr();
      Kill();
      return failure;
    }
    std::this_thread::sleep_for(5ms);
  }
}

ExitStatus DaemonProcess::WaitBounded(std::chrono::milliseconds bound, bool* timed_out) {
  return WaitChild(child_->process, bound, timed_out);
}

ExitStatus DaemonProcess::Stop(std::chrono::milliseconds grace) {
  if (!child_) return {};
  if (child_->finished) return child_->status;
  ExitStatus status;
  bool timed_out = false;
  if (running()) {
    ::kill(child_->process.id(), SIGTERM);
    status = WaitBounded(grace, &timed_out);
    if (timed_out) {
      ADD_FAILURE() << "ssrd did not exit within " << grace.count()
                    << " ms of SIGTERM; killing it";
      status = KillAndReap(child_->process);
    }
  } else {
    status = WaitBounded(1s, &timed_out);
  }
  child_->finished = true;  // keeps its output files readable
  child_->status = status;
  return status;
}

ExitStatus DaemonProcess::WaitForExit(std::chrono::milliseconds bound) {
  if (!child_) return {};
  if (child_->finished) return child_->status;
  bool timed_out = false;
  ExitStatus status = WaitBounded(bound, &timed_out);
  if (timed_out) {
    ADD_FAILURE() << "ssrd did not exit within " << bound.count() << " ms; killing it";
    status = KillAndReap(child_->process);
  }
  child_->finished = true;
  child_->status = status;
  return status;
}

void DaemonProcess::Kill() {
  if (!child_ || child_->finished) return;
  child_->status = KillAndReap(child_->process);
  child_->finished = true;
}

}  // namespace ssrd::testing
