// Boost.Process starts the child (the project's choice for processes started outside a libuv
// loop, docs/architecture.md); the process group and the group-wide stop are plain POSIX.
#include "tools/bench/child_process.h"

#include <csignal>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include <boost/process.hpp>
#include <boost/process/extend.hpp>

namespace ssrd::bench {
namespace bp = boost::process;

struct ChildProcess::Impl {
  bp::child child;
  int stdin_fd = -1;
  int stdout_fd = -1;
  bool stopped = false;
};

namespace {

// In the child between fork and exec: its own group, so that Stop() reaches its descendants.
struct NewProcessGroup : bp::extend::handler {
  template <class Executor>
  void on_exec_setup(Executor&) const {
    ::setpgid(0, 0);
  }
};

}  // namespace

ipc::Result<std::unique_ptr<ChildProcess>> ChildProcess::Start(const std::string& command,
                                                               bool pipe_stdio,
                                                               const std::string& log_path) {
  auto impl = std::make_unique<Impl>();
  try {
    const std::string log = log_path.empty() ? "/dev/null" : log_path;
    const std::vector<std::string> args{"-c", "exec " + command};
    if (pipe_stdio) {
      bp::pipe in, out;
      impl->child = bp::child(bp::exe = "/bin/sh", bp::args = args,
                              bp::std_in < in, bp::std_out > out, bp::std_err > log,
                              NewProcessGroup{});
      // Boost closed the child's ends in this process; dup ours out of the pipe objects, whose
      // destructors close what they hold.
      impl->stdin_fd = ::fcntl(in.native_sink(), F_DUPFD_CLOEXEC, 0);
      impl->stdout_fd = ::fcntl(out.native_source(), F_DUPFD_CLOEXEC, 0);
    } else {
      impl->child = bp::child(bp::exe = "/bin/sh", bp::args = args,
                              bp::std_in < bp::null, (bp::std_out & bp::std_err) > log,
                              NewProcessGroup{});
    }
  } catch (const std::exception& e) {
    return ipc::MakeError(ipc::ErrorCode::kUnavailable,
                          "cannot start '" + command + "': " + e.what());
  }
  return std::unique_ptr<ChildProcess>(new ChildProcess(std::move(impl)));
}

ChildProcess::ChildProcess(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ChildProcess::~ChildProcess() {
  Stop();
  if (impl_->stdin_fd >= 0) ::close(impl_->stdin_fd);
  if (impl_->stdout_fd >= 0) ::close(impl_->stdout_fd);
}

pid_t ChildProcess::pid() const { return impl_->child.id(); }

bool ChildProcess::running() {
  std::error_code ec;
  return !impl_->stopped && impl_->child.running(ec) && !ec;
}

int ChildProcess::TakeStdin() { return std::exchange(impl_->stdin_fd, -1); }
int ChildProcess::TakeStdout() { return std::exchange(impl_->stdout_fd, -1); }

void ChildProcess::Stop(std::chrono::milliseconds grace) {
  if (impl_->stopped) return;
  impl_->stopped = true;
  const pid_t group = impl_->child.id();
  ::kill(-group, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  std::error_code ec;
  while (impl_->child.running(ec) && !ec && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  // Whatever is left of the group, the leader included when it ignored SIGTERM.
  ::kill(-group, SIGKILL);
  impl_->child.wait(ec);
}

}  // namespace ssrd::bench
