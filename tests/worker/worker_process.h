// A real ssrd-worker, started the way the supervisor starts it: a socketpair end as fd 3. Reads
// are bounded (ReadWithin) so that a worker that never answers fails the test instead of hanging
// it. Killed and reaped by the destructor if it is still running.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "ipc/fd_io.h"
#include "ipc/frame.h"
#include "ipc/message.h"

extern char** environ;

namespace ssrd::worker::testing {

inline std::string Bundle(const std::string& name) {
  return std::string(SSRD_TEST_BUNDLES) + "/" + name;
}

class WorkerProcess {
 public:
  explicit WorkerProcess(const std::string& bundle) {
    int sv[2];
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    channel_ = sv[0];
    // dup2 onto 3 clears close-on-exec, except when the fd already is 3: move it away first.
    int child_end = fcntl(sv[1], F_DUPFD_CLOEXEC, 10);
    close(sv[1]);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, child_end, 3);
    std::string parent = std::to_string(getpid());
    std::vector<std::string> args = {SSRD_WORKER_BINARY, "--bundle", bundle, "--channel-fd", "3",
                                     "--heap-limit-mb", "64", "--parent-pid", parent};
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    EXPECT_EQ(posix_spawn(&pid_, SSRD_WORKER_BINARY, &actions, nullptr, argv.data(), environ), 0);
    posix_spawn_file_actions_destroy(&actions);
    close(child_end);
  }
  ~WorkerProcess() {
    if (channel_ >= 0) close(channel_);
    if (pid_ > 0 && !reaped_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  WorkerProcess(const WorkerProcess&) = delete;
  WorkerProcess& operator=(const WorkerProcess&) = delete;

  ipc::Result<ipc::Reply> Read() { return ReadWithin(std::chrono::seconds(30)); }
  // The next reply frame, or kUnavailable "no reply within ..." / "connection closed".
  ipc::Result<ipc::Reply> ReadWithin(std::chrono::milliseconds limit) {
    std::string payload;
    const auto until = std::chrono::steady_clock::now() + limit;
    for (;;) {
      if (decoder_.Next(&payload) == ipc::FrameDecoder::Status::kFrame) {
        return ipc::DecodeReply(payload);
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          until - std::chrono::steady_clock::now());
      pollfd p{channel_, POLLIN, 0};
      if (left.count() <= 0 || poll(&p, 1, static_cast<int>(left.count())) == 0) {
        return ipc::MakeError(ipc::ErrorCode::kUnavailable,
                              "no reply within " + std::to_string(limit.count()) + " ms");
      }
      char buffer[65536];
      ssize_t n = read(channel_, buffer, sizeof buffer);
      if (n <= 0) return ipc::MakeError(ipc::ErrorCode::kUnavailable, "connection closed");
      decoder_.Feed(buffer, static_cast<std::size_t>(n));
    }
  }
  void Send(const ipc::Request& request) {
    std::string frame;
    ipc::EncodeRequest(request, &frame);
    ASSERT_TRUE(ipc::WriteAll(channel_, frame).ok());
  }
  void CloseChannel() {
    close(channel_);
    channel_ = -1;
  }
  // End of file for the worker, while its replies can still be read.
  void ShutdownWrite() { shutdown(channel_, SHUT_WR); }
  // Exit status, or -1 if it has not exited within `limit` (or was killed by a signal).
  int WaitExit(std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    const auto until = std::chrono::steady_clock::now() + limit;
    do {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        reaped_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    } while (std::chrono::steady_clock::now() < until);
    return -1;
  }
  pid_t pid() const { return pid_; }
  int channel() const { return channel_; }

 private:
  pid_t pid_ = -1;
  int channel_ = -1;
  bool reaped_ = false;
  ipc::FrameDecoder decoder_;
};

}  // namespace ssrd::worker::testing
