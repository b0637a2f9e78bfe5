#include "pool/worker_process.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "ipc/log_escape.h"
#include "ipc/message.h"
#include "ipc/sandbox_exit.h"

namespace ssrd::pool {

std::string WorkerExit::Describe() const {
  if (term_signal != 0) {
    return "was killed by signal " + std::to_string(term_signal) + " (" + strsignal(term_signal) +
           ")";
  }
  std::string text = "exited with code " + std::to_string(exit_status);
  if (std::optional<std::string_view> call = ipc::RefusedSyscallOfExit(exit_status)) {
    text += " (its sandbox refused the system call " + std::string(*call) + ")";
  }
  return text;
}

bool WorkerExit::sandbox_refusal() const {
  return term_signal == 0 && ipc::RefusedSyscallOfExit(exit_status).has_value();
}

const char* WorkerStateName(WorkerProcess::State state) {
  switch (state) {
    case WorkerProcess::State::kStarting:
      return "starting";
    case WorkerProcess::State::kReady:
      return "ready";
    case WorkerProcess::State::kBusy:
      return "busy";
    case WorkerProcess::State::kExited:
      return "exited";
  }
  return "?";
}

WorkerProcess::WorkerProcess(uv_loop_t* loop, Callbacks callbacks)
    : loop_(loop),
      callbacks_(std::move(callbacks)),
      self_cell_(std::make_shared<WorkerProcess*>(this)) {}

ipc::Result<std::unique_ptr<WorkerProcess>> WorkerProcess::Spawn(uv_loop_t* loop,
                                                                 const WorkerSpawnOptions& options,
                                                                 Callbacks callbacks) {
  int fds[2];
  // CLOEXEC on both ends: only the child end crosses exec, and only as fd 3 (libuv dup2()s it,
  // which clears the flag on the copy). Other workers never inherit this pair.
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    return ipc::MakeError(ipc::ErrorCode::kUnavailable,
                          std::string("cannot create a worker channel: ") + strerror(errno));
  }
  std::unique_ptr<WorkerProcess> worker(new WorkerProcess(loop, std::move(callbacks)));

  std::string heap = std::to_string(options.heap_limit_mb);
  // --parent-pid lets the worker close the race where we die between its fork and its
  // PR_SET_PDEATHSIG: it compares getppid() with this pid before doing anything else.
  std::vector<std::string> arg_strings = {
      options.executable, "--bundle",     options.bundle_path, "--heap-limit-mb",
      heap,               "--channel-fd", "3",                 "--node-env",
      options.node_env,   "--parent-pid", std::to_string(getpid()), "--isolation",
      options.isolation};
  // The worker answers a reply over our frame limit too_large itself, rather than have us kill it.
  if (options.max_frame_bytes != 0) {
    arg_strings.insert(arg_strings.end(),
                       {"--max-frame-bytes", std::to_string(options.max_frame_bytes)});
  }
  arg_strings.insert(arg_strings.end(), options.extra_args.begin(), options.extra_args.end());
  std::vector<char*> argv;
  for (auto& a : arg_strings) argv.push_back(a.data());
  argv.push_back(nullptr);

  uv_stdio_container_t stdio[4];
  stdio[0].flags = UV_IGNORE;
  stdio[1].flags = UV_INHERIT_FD;
  stdio[1].data.fd = 1;
  stdio[2].flags = UV_INHERIT_FD;
  stdio[2].data.fd = 2;
  stdio[3].flags = UV_INHERIT_FD;
  stdio[3].data.fd = fds[1];

  uv_process_options_t opts{};
  opts.file = options.executable.c_str();
  opts.args = argv.data();
  opts.exit_cb = &WorkerProcess::ExitCb;
  opts.stdio = stdio;
  opts.stdio_count = 4;
  // Its own session: a terminal's Ctrl-C reaches the supervisor only, which then stops the
  // workers in order; the worker still dies with the supervisor through PR_SET_PDEATHSIG.
  opts.flags = UV_PROCESS_DETACHED;

  auto* process = new uv_process_t;
  process->data = worker.get();
  int rc = uv_spawn(loop, process, &opts);
  close(fds[1]);  // the child holds its own copy now; ours would hide the worker's end of file
  if (rc != 0) {
    close(fds[0]);
    // libuv initialises the handle even when the spawn fails; it must still be closed.
    process->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(process),
             [](uv_handle_t* h) noexcept { delete reinterpret_cast<uv_process_t*>(h); });
    return ipc::MakeError(ipc::ErrorCode::kUnavailable,
                          "cannot start worker " + options.executable + ": " + uv_strerror(rc));
  }
  worker->process_ = process;
  worker->pid_ = process->pid;

  std::weak_ptr<WorkerProcess*> cell = worker->self_cell_;
  ipc::Connection::Callbacks cb;
  cb.on_frame = [cell](ipc::Connection&, std::string&& payload) {
    if (auto c = cell.lock(); c && *c) (*c)->OnFrame(std::move(payload));
  };
  cb.on_too_large = [cell](ipc::Connection&, std::uint32_t announced) {
    if (auto c = cell.lock(); c && *c) {
      spdlog::warn("worker {}: sent a frame of {} bytes, over the limit; killing it", (*c)->pid_,
                   announced);
      (*c)->Kill(SIGKILL);
    }
  };
  cb.on_closed = [cell](ipc::Connection&) {
    if (auto c = cell.lock(); c && *c) (*c)->OnChannelClosed();
  };
  worker->channel_ = ipc::Connection::Open(loop, fds[0], options.max_frame_bytes, std::move(cb));
  if (worker->channel_ == nullptr) {
    // Practically unreachable for a fresh socketpair; the worker is useless without a channel.
    spdlog::error("worker {}: cannot open its channel; killing it", worker->pid_);
    worker->channel_closed_ = true;
    worker->Kill(SIGKILL);
  }
  return worker;
}

WorkerProcess::~WorkerProcess() {
  *self_cell_ = nullptr;
  if (channel_ != nullptr) channel_->Close();
  if (process_ != nullptr) {
    // Owners wait for on_exit; this is the misuse path. Once closed, libuv no longer reaps this
    // pid, so it is reaped here (it is our own child, never waitpid(-1)).
    process_->data = nullptr;
    uv_process_kill(process_, SIGKILL);
    uv_close(reinterpret_cast<uv_handle_t*>(process_),
             [](uv_handle_t* h) noexcept { delete reinterpret_cast<uv_process_t*>(h); });
    while (waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
}

void WorkerProcess::SendFramed(std::string framed) {
  if ((state_ != State::kReady && state_ != State::kBusy) || channel_ == nullptr) return;
  state_ = State::kBusy;
  ++requests_in_flight_;
  channel_->WriteFramed(std::move(framed));
}

void WorkerProcess::SendControl(std::string framed) {
  if (state_ != State::kBusy || channel_ == nullptr) return;
  channel_->WriteFramed(std::move(framed));
}

void WorkerProcess::CloseChannel() {
  channel_close_requested_ = true;
  if (channel_ != nullptr) channel_->Close(/*graceful=*/true);
}

void WorkerProcess::Kill(int signum) {
  if (process_ != nullptr) uv_process_kill(process_, signum);
}

void WorkerProcess::OnFrame(std::string&& payload) noexcept {
  if (!hello_seen_) {
    hello_seen_ = true;
    auto hello = ipc::DecodeReply(payload);
    if (!hello.ok() || hello->id != 0) {
      spdlog::warn("worker {}: first frame is not a hello ({}); killing it", pid_,
                   ipc::EscapeForLog(hello.ok() ? "id " + std::to_string(hello->id)
                                                : hello.error().ToString()));
      Kill(SIGKILL);
      return;
    }
    if (!hello->ok()) {
      start_failed_ = true;
      if (callbacks_.on_start_error) callbacks_.on_start_error(*this, *hello->error);
      return;
    }
    state_ = State::kReady;
    was_ready_ = true;
    if (callbacks_.on_ready) callbacks_.on_ready(*this);
    return;
  }
  if (requests_in_flight_ == 0) {
    spdlog::warn("worker {}: sent a frame while no request was in flight; killing it", pid_);
    Kill(SIGKILL);
    return;
  }
  if (ipc::IsChunkPayload(payload)) {
    if (callbacks_.on_chunk) callbacks_.on_chunk(*this, std::move(payload));
    return;
  }
  --requests_in_flight_;
  // A reply may still arrive after exit_cb (it was buffered in the channel): the state stays
  // kExited then, but the reply is delivered.
  if (state_ == State::kBusy && requests_in_flight_ == 0) state_ = State::kReady;
  if (callbacks_.on_reply) callbacks_.on_reply(*this, std::move(payload));
}

void WorkerProcess::OnChannelClosed() noexcept {
  channel_ = nullptr;
  channel_closed_ = true;
  if (!process_exited_ && !channel_close_requested_) {
    // The worker closed its end (or the channel failed) but still runs: it can never be used
    // again, so it is not left behind. After a failed hello the worker is exiting on purpose
    // and its end-of-file often beats exit_cb: nothing to warn about, the pool reports the error.
    if (start_failed_) {
      spdlog::debug("worker {}: channel closed after a failed start", pid_);
    } else {
      spdlog::warn("worker {}: channel closed while the process runs; killing it", pid_);
    }
    Kill(SIGKILL);
  }
  MaybeFinish();
}

void WorkerProcess::ExitCb(uv_process_t* process, std::int64_t exit_status,
                           int term_signal) noexcept {
  auto* self = static_cast<WorkerProcess*>(process->data);
  uv_close(reinterpret_cast<uv_handle_t*>(process),
           [](uv_handle_t* h) noexcept { delete reinterpret_cast<uv_process_t*>(h); });
  if (self != nullptr) self->OnProcessExit(exit_status, term_signal);
}

void WorkerProcess::OnProcessExit(std::int64_t exit_status, int term_signal) noexcept {
  process_ = nullptr;  // the handle is closing; ExitCb owns its release
  process_exited_ = true;
  state_ = State::kExited;
  exit_.exit_status = exit_status;
  exit_.term_signal = term_signal;
  // The channel normally reaches end of file in the same or the next loop iteration; waiting for
  // it delivers any reply the worker wrote before exiting.
  MaybeFinish();
}

void WorkerProcess::MaybeFinish() noexcept {
  if (finished_ || !process_exited_ || !channel_closed_) return;
  finished_ = true;
  state_ = State::kExited;
  // Last statement: the owner may delete this object from on_exit.
  if (callbacks_.on_exit) callbacks_.on_exit(*this, exit_);
}

}  // namespace ssrd::pool
