#include "pool/pool.h"

#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <filesystem>
#include <utility>

#include <spdlog/spdlog.h>

#include "pool/dispatcher.h"
#include "pool/worker_sandbox.h"
#include "pool/warmup.h"

namespace ssrd::pool {
namespace {

// strerror() capitalises ("No such file..."); messages here are mid-sentence.
std::string ErrnoText(int err) {
  std::string text = strerror(err);
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}

ipc::Result<void> CheckBundle(const std::string& path) {
  auto fail = [&](const std::string& why) {
    return ipc::MakeError(ipc::ErrorCode::kBundleError, "cannot read bundle " + path + ": " + why);
  };
  if (path.empty()) return ipc::MakeError(ipc::ErrorCode::kBundleError, "no bundle given");
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return fail(ErrnoText(errno));
  if (S_ISDIR(st.st_mode)) return fail("is a directory");
  if (access(path.c_str(), R_OK) != 0) return fail(ErrnoText(errno));
  return {};
}

ipc::Result<void> CheckExecutable(const std::string& path) {
  auto fail = [&](const std::string& why) {
    return ipc::MakeError(ipc::ErrorCode::kBadRequest, "worker executable " + path + ": " + why);
  };
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return fail(ErrnoText(errno));
  if (!S_ISREG(st.st_mode)) return fail("is not a regular file");
  if (access(path.c_str(), X_OK) != 0) return fail("is not executable");
  return {};
}

void IgnoreSigpipeIfDefault() {
  struct sigaction current;
  if (sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) {
    signal(SIGPIPE, SIG_IGN);
  }
}

}  // namespace

std::string DefaultWorkerExecutable() {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "ssrd-worker";
  return (self.parent_path() / "ssrd-worker").string();
}

Pool::Pool(uv_loop_t* loop, PoolOptions options, std::vector<ipc::Request> warmup_file_requests)
    : options_(std::move(options)) {
  WorkerSpawnOptions spawn;
  spawn.executable = options_.worker_executable;
  spawn.bundle_path = options_.bundle_path;
  spawn.heap_limit_mb = options_.heap_limit_mb;
  spawn.max_frame_bytes = options_.max_frame_bytes;
  spawn.node_env = options_.node_env;
  if (!options_.snapshot_dir.empty()) {
    spawn.extra_args.insert(spawn.extra_args.end(), {"--snapshot-dir", options_.snapshot_dir});
  }
  spawn.isolation = options_.isolation;
  if (options_.busy_poll_us != 0) {
    spawn.extra_args.insert(spawn.extra_args.end(),
                            {"--busy-poll-us", std::to_string(options_.busy_poll_us)});
  }
  for (std::string& arg : WorkerSandboxArgs(options_.worker_sandbox, options_.worker_uid,
                                            options_.worker_gid)) {
    spawn.extra_args.push_back(std::move(arg));
  }
  dispatcher_ = std::make_unique<Dispatcher>(loop, options_, std::move(spawn),
                                             std::move(warmup_file_requests));
}

Pool::~Pool() = default;

ipc::Result<std::unique_ptr<Pool>> Pool::Create(uv_loop_t* loop, PoolOptions options) {
  if (auto r = CheckBundle(options.bundle_path); !r.ok()) return r.error();
  std::error_code ec;
  auto absolute = std::filesystem::absolute(options.bundle_path, ec);
  if (!ec) options.bundle_path = absolute.lexically_normal().string();
  if (options.worker_executable.empty()) options.worker_executable = DefaultWorkerExecutable();
  if (auto r = CheckExecutable(options.worker_executable); !r.ok()) return r.error();
  if (options.workers == 0) options.workers = uv_available_parallelism();
  if (options.heap_limit_mb == 0) {
    return ipc::MakeError(ipc::ErrorCode::kBadRequest, "the heap limit must be at least 1 MB");
  }
  if (options.max_frame_bytes < 1024) {
    return ipc::MakeError(ipc::ErrorCode::kBadRequest,
                          "the frame limit must be at least 1024 bytes");
  }
  if (options.default_timeout_ms == 0) {
    return ipc::MakeError(ipc::ErrorCode::kBadRequest, "the default timeout must be at least 1 ms");
  }
  if (options.start_timeout_ms == 0) {
    return ipc::MakeError(ipc::ErrorCode::kBadRequest, "the start timeout must be at least 1 ms");
  }
  if (options.max_queue == 0) {
    return ipc::MakeError(ipc::ErrorCode::kBadRequest, "the queue must hold at least 1 request");
  }
  std::string no_filter_why;
  const bool kernel_can = options.worker_sandbox == "off" || KernelCanFilterSyscalls(&no_filter_why);
  std::string sandbox_warning;
  auto sandbox =
      ResolveWorkerSandbox(options.worker_sandbox, kernel_can, no_filter_why, &sandbox_warning);
  if (!sandbox.ok()) return sandbox.error();
  if (!sandbox_warning.empty()) spdlog::warn("{}", sandbox_warning);
  options.worker_sandbox = std::move(sandbox).value();
  std::vector<ipc::Request> warmup_file_requests;
  if (!options.warmup_file.empty()) {
    auto loaded = LoadWarmupFile(options.warmup_file);
    if (!loaded.ok()) return loaded.error();
    warmup_file_requests = std::move(loaded).value();
  }
  return std::unique_ptr<Pool>(new Pool(loop, std::move(options), std::move(warmup_file_requests)));
}

void Pool::Start(std::function<void(ipc::Result<void>)> on_ready) {
  IgnoreSigpipeIfDefault();
  dispatcher_->Start(std::move(on_ready));
}

Pool::JobId Pool::Submit(ipc::Request request, ReplyFn on_reply, std::string log_tag,
                         ChunkFn on_chunk) {
  return dispatcher_->Submit(std::move(request), std::move(on_reply), std::move(log_tag),
                             std::move(on_chunk));
}

bool Pool::CancelQueued(JobId job) { return dispatcher_->CancelQueued(job); }

bool Pool::Cancel(JobId job) { return dispatcher_->Cancel(job); }

void Pool::Reload(std::string reason) { dispatcher_->Reload(std::move(reason)); }

void Pool::Drain(std::uint32_t drain_ms, std::function<void()> on_stopped) {
  dispatcher_->Drain(drain_ms, std::move(on_stopped));
}

void Pool::Stop(std::function<void()> on_stopped) { dispatcher_->Stop(std::move(on_stopped)); }

Stats Pool::stats() const { return dispatcher_->stats(); }

std::vector<pid_t> Pool::worker_pids() const { return dispatcher_->worker_pids(); }

}  // namespace ssrd::pool
