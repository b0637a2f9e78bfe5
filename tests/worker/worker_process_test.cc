// The real ssrd-worker binary, driven the way the supervisor drives it: a socketpair end as fd 3.
#include <fcntl.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "ipc/fd_io.h"
#include "ipc/frame.h"
#include "ipc/message.h"

extern char** environ;

namespace ssrd::worker {
namespace {

std::string Bundle(const std::string& name) { return std::string(SSRD_TEST_BUNDLES) + "/" + name; }

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

  ipc::Result<ipc::Reply> Read() {
    std::string payload;
    ipc::Result<void> read = ipc::ReadFrame(channel_, &decoder_, &payload);
    if (!read.ok()) return read.error();
    return ipc::DecodeReply(payload);
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
  // Exit status, or -1 if it has not exited within 10 s (or was killed by a signal).
  int WaitExit() {
    for (int i = 0; i < 1000; ++i) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        reaped_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return -1;
  }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int channel_ = -1;
  bool reaped_ = false;
  ipc::FrameDecoder decoder_;
};

TEST(WorkerProcessTest, HelloRenderPingThenExitZeroOnEof) {
  WorkerProcess worker(Bundle("app.mjs"));
  auto hello = worker.Read();
  ASSERT_TRUE(hello.ok()) << hello.error().ToString();
  EXPECT_EQ(hello->id, 0u);
  ASSERT_TRUE(hello->ok());
  EXPECT_EQ(hello->worker_pid, static_cast<std::uint32_t>(worker.pid()));

  ipc::Request render;
  render.id = 42;
  render.op = ipc::Op::kRender;
  render.component = "Console";
  render.props_msgpack = ipc::JsonToMsgpack("{}").value();
  worker.Send(render);
  ipc::Request async = render;
  async.id = 43;
  async.component = "Async";
  worker.Send(async);
  ipc::Request ping;
  ping.id = 44;
  ping.op = ipc::Op::kPing;
  worker.Send(ping);

  auto first = worker.Read();
  ASSERT_TRUE(first.ok()) << first.error().ToString();
  EXPECT_EQ(first->id, 42u);
  ASSERT_TRUE(first->ok());
  EXPECT_EQ(first->html, "ok");
  ASSERT_EQ(first->console.size(), 5u);
  EXPECT_EQ(first->console[1].level, "info");
  EXPECT_EQ(first->console[1].text, "info n=42");

  auto second = worker.Read();
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->id, 43u);
  EXPECT_EQ(second->html, "t0,after10,t30,v20");
  EXPECT_EQ(second->status, 202u);

  auto third = worker.Read();
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->id, 44u);
  EXPECT_TRUE(third->ok());

  worker.CloseChannel();
  EXPECT_EQ(worker.WaitExit(), 0);
}

TEST(WorkerProcessTest, JsErrorIsAReplyNotACrash) {
  WorkerProcess worker(Bundle("app.mjs"));
  ASSERT_TRUE(worker.Read().ok());
  ipc::Request render;
  render.id = 7;
  render.op = ipc::Op::kRender;
  render.component = "Missing";
  render.props_msgpack = ipc::JsonToMsgpack("{}").value();
  worker.Send(render);
  auto reply = worker.Read();
  ASSERT_TRUE(reply.ok());
  ASSERT_FALSE(reply->ok());
  EXPECT_EQ(reply->error->code, ipc::ErrorCode::kNotFound);
  EXPECT_EQ(reply->error->message, "Error: unknown component Missing");
  EXPECT_FALSE(reply->error->stack.empty());
  worker.CloseChannel();
  EXPECT_EQ(worker.WaitExit(), 0);
}

TEST(WorkerProcessTest, BadBundleWritesBundleErrorHelloAndExitsTwo) {
  WorkerProcess worker(Bundle("syntax_error.mjs"));
  auto hello = worker.Read();
  ASSERT_TRUE(hello.ok()) << hello.error().ToString();
  EXPECT_EQ(hello->id, 0u);
  ASSERT_FALSE(hello->ok());
  EXPECT_EQ(hello->error->code, ipc::ErrorCode::kBundleError);
  EXPECT_EQ(hello->error->message,
            "SyntaxError: Unexpected token ';' at " + Bundle("syntax_error.mjs") + ":3");
  EXPECT_EQ(worker.WaitExit(), 2);
}

TEST(WorkerProcessTest, OutOfMemoryRepliesThenExitsThree) {
  WorkerProcess worker(Bundle("app.mjs"));
  ASSERT_TRUE(worker.Read().ok());
  ipc::Request render;
  render.id = 9;
  render.op = ipc::Op::kRender;
  render.component = "Grow";
  render.props_msgpack = ipc::JsonToMsgpack("{}").value();
  worker.Send(render);
  auto reply = worker.Read();
  ASSERT_TRUE(reply.ok()) << reply.error().ToString();
  ASSERT_FALSE(reply->ok());
  EXPECT_EQ(reply->error->code, ipc::ErrorCode::kOutOfMemory);
  EXPECT_EQ(worker.WaitExit(), 3);
}

}  // namespace
}  // namespace ssrd::worker
