#include "pool/snapshot_build.h"

#include <signal.h>
#include <string.h>
#include <spdlog/spdlog.h>

#include <string_view>
#include <utility>
#include <vector>

namespace ssrd::pool {

std::string BuilderKilledMessage(int signal) {
  std::string message = "the snapshot builder was killed by signal " + std::to_string(signal) +
                        " (" + sigabbrev_np(signal) + ")";
  // V8's serialiser stops the process on what it cannot serialise instead of returning an error
  // (a release build of V8 traps; abort() in others).
  if (signal == SIGTRAP || signal == SIGABRT || signal == SIGILL) {
    message += ": V8 cannot serialise something the bundle made while loading (its message is "
               "above; an Intl formatter made at load time is one such thing)";
  }
  return message;
}

struct SnapshotBuild::State : std::enable_shared_from_this<SnapshotBuild::State> {
  uv_process_t* process = nullptr;  // freed in its close_cb
  uv_pipe_t* out = nullptr;         // freed in its close_cb
  std::string stdout_text;
  bool exited = false;
  bool out_closed = false;
  std::int64_t exit_status = 0;
  int term_signal = 0;
  Done done;
  std::shared_ptr<State> keep_alive;  // until both handles have reported

  void MaybeFinish() noexcept {
    if (!exited || !out_closed) return;
    auto self = std::move(keep_alive);  // released on return
    Done cb = std::move(done);
    done = nullptr;
    if (!cb) return;
    if (term_signal != 0) {
      cb(ipc::MakeError(ipc::ErrorCode::kUnavailable, BuilderKilledMessage(term_signal)));
      return;
    }
    cb(ParseSnapshotVerdict(stdout_text, static_cast<int>(exit_status)));
  }
};

namespace {

template <class Handle>
void CloseAndDelete(Handle* handle) {
  uv_close(reinterpret_cast<uv_handle_t*>(handle),
           [](uv_handle_t* h) noexcept { delete reinterpret_cast<Handle*>(h); });
}

}  // namespace

ipc::Result<std::string> ParseSnapshotVerdict(const std::string& stdout_text, int exit_code) {
  constexpr std::string_view kPrefix = "snapshot: ";
  constexpr std::string_view kUnavailable = "unavailable: ";
  std::string verdict;
  std::size_t start = 0;
  while (start < stdout_text.size()) {
    std::size_t end = stdout_text.find('\n', start);
    if (end == std::string::npos) end = stdout_text.size();
    std::string_view line(stdout_text.data() + start, end - start);
    if (line.substr(0, kPrefix.size()) == kPrefix) verdict = std::string(line.substr(kPrefix.size()));
    start = end + 1;
  }
  if (exit_code == 2) {
    return ipc::MakeError(ipc::ErrorCode::kBundleError,
                          verdict.empty() ? "the bundle does not load" : verdict);
  }
  if (exit_code != 0 || verdict.empty()) {
    return ipc::MakeError(ipc::ErrorCode::kUnavailable,
                          "the snapshot builder exited with code " + std::to_string(exit_code) +
                              " without a verdict");
  }
  if (verdict.substr(0, kUnavailable.size()) == kUnavailable) {
    return ipc::MakeError(ipc::ErrorCode::kUnavailable, verdict.substr(kUnavailable.size()));
  }
  return verdict;
}

std::unique_ptr<SnapshotBuild> SnapshotBuild::Start(uv_loop_t* loop,
                                                    const WorkerSpawnOptions& worker,
                                                    const std::string& snapshot_dir, Done done) {
  auto state = std::make_shared<State>();
  state->done = std::move(done);
  std::vector<std::string> args = {worker.executable, "--build-snapshot", "--bundle",
                                   worker.bundle_path, "--snapshot-dir", snapshot_dir,
                                   "--heap-limit-mb", std::to_string(worker.heap_limit_mb),
                                   "--node-env", worker.node_env, "--isolation",
                                   worker.isolation};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  state->out = new uv_pipe_t;
  uv_pipe_init(loop, state->out, 0);
  state->out->data = state.get();
  uv_stdio_container_t stdio[3];
  stdio[0].flags = UV_IGNORE;
  stdio[1].flags = static_cast<uv_stdio_flags>(UV_CREATE_PIPE | UV_WRITABLE_PIPE);
  stdio[1].data.stream = reinterpret_cast<uv_stream_t*>(state->out);
  stdio[2].flags = UV_INHERIT_FD;  // its progress line goes to our log
  stdio[2].data.fd = 2;
  uv_process_options_t opts{};
  opts.file = worker.executable.c_str();
  opts.args = argv.data();
  opts.stdio = stdio;
  opts.stdio_count = 3;
  opts.exit_cb = [](uv_process_t* p, std::int64_t status, int signal) noexcept {
    auto* st = static_cast<State*>(p->data);
    CloseAndDelete(p);
    if (st == nullptr) return;
    st->process = nullptr;
    st->exited = true;
    st->exit_status = status;
    st->term_signal = signal;
    st->MaybeFinish();
  };
  state->process = new uv_process_t;
  state->process->data = state.get();
  state->keep_alive = state;
  if (int rc = uv_spawn(loop, state->process, &opts); rc != 0) {
    state->process->data = nullptr;
    CloseAndDelete(state->process);
    state->process = nullptr;
    state->exited = true;
    state->exit_status = 127;
    spdlog::warn("cannot start the snapshot builder {}: {}", worker.executable, uv_strerror(rc));
  }
  if (state->process != nullptr) {
    uv_read_start(
        reinterpret_cast<uv_stream_t*>(state->out),
        [](uv_handle_t*, std::size_t suggested, uv_buf_t* buf) noexcept {
          buf->base = new char[suggested];
          buf->len = suggested;
        },
        [](uv_stream_t* stream, ssize_t n, const uv_buf_t* buf) noexcept {
          auto* st = static_cast<State*>(stream->data);
          if (st != nullptr && n > 0) st->stdout_text.append(buf->base, static_cast<std::size_t>(n));
          delete[] buf->base;
          if (n < 0) {
            uv_read_stop(stream);
            stream->data = nullptr;
            CloseAndDelete(reinterpret_cast<uv_pipe_t*>(stream));
            if (st == nullptr) return;
            st->out = nullptr;
            st->out_closed = true;
            st->MaybeFinish();
          }
        });
  } else {
    state->out->data = nullptr;
    CloseAndDelete(state->out);
    state->out = nullptr;
    state->out_closed = true;
    // Reported on the next turn, like every other outcome.
    auto* idle = new uv_idle_t;
    uv_idle_init(loop, idle);
    idle->data = new std::shared_ptr<State>(state);
    uv_idle_start(idle, [](uv_idle_t* h) noexcept {
      auto* holder = static_cast<std::shared_ptr<State>*>(h->data);
      uv_idle_stop(h);
      CloseAndDelete(h);
      (*holder)->MaybeFinish();
      delete holder;
    });
  }
  return std::unique_ptr<SnapshotBuild>(new SnapshotBuild(std::move(state)));
}

SnapshotBuild::~SnapshotBuild() {
  state_->done = nullptr;  // the owner is gone: nobody to tell
  if (state_->process != nullptr) uv_process_kill(state_->process, SIGKILL);
}

}  // namespace ssrd::pool
