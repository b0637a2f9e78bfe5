// ssrd: the rendering daemon. Listens on a Unix socket and feeds a pool of ssrd-worker processes.
// Exit codes: 0 after SIGTERM/SIGINT, 1 bad command line or socket, 2 bundle error.
// Signals: SIGTERM/SIGINT drain (a second one stops at once), SIGHUP reloads the bundle.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string_view>
#include <vector>
#include <memory>
#include <string>

#include "ipc/log_escape.h"
#include "pool/pool.h"
#include "pool/snapshot_build.h"
#include "pool/socket_server.h"

namespace {

using ssrd::ipc::ErrorCode;

constexpr int kExitUsage = 1;
constexpr int kExitBundle = 2;

// One line whatever the message holds: a bundle's error text comes from JavaScript.
void PrintError(const std::string& message) {
  std::fprintf(stderr, "ssrd: error: %s\n", ssrd::ipc::EscapeForLog(message).c_str());
  std::fflush(stderr);
}

// $XDG_CACHE_HOME/ssrd, ~/.cache/ssrd, or a per-user directory under /tmp.
std::string DefaultSnapshotDir() {
  const char* cache = std::getenv("XDG_CACHE_HOME");
  if (cache != nullptr && *cache == '/') return std::string(cache) + "/ssrd";
  const char* home = std::getenv("HOME");
  if (home != nullptr && *home == '/') return std::string(home) + "/.cache/ssrd";
  return "/tmp/ssrd-cache-" + std::to_string(getuid());
}

// `ssrd snapshot BUNDLE`: builds the startup snapshot ahead of time (for container images) by
// becoming `ssrd-worker --build-snapshot`, which prints the one-line verdict.
int SnapshotCommand(int argc, char** argv) {
  CLI::App app{"ssrd snapshot: build the startup snapshot of a bundle into the cache directory"};
  std::string bundle;
  std::string snapshot_dir = DefaultSnapshotDir();
  std::string worker = ssrd::pool::DefaultWorkerExecutable();
  std::size_t heap_limit_mb = 512;
  std::string node_env = "production";
  app.add_option("bundle", bundle, "server bundle (ES module) exporting render()")->required();
  app.add_option("--snapshot-dir", snapshot_dir, "snapshot cache directory")->capture_default_str();
  app.add_option("--heap-limit-mb", heap_limit_mb, "the workers' --heap-limit-mb")
      ->capture_default_str();
  app.add_option("--worker-executable", worker, "the ssrd-worker binary")->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  std::error_code ec;
  std::filesystem::create_directories(snapshot_dir, ec);
  if (ec) {
    PrintError("cannot create " + snapshot_dir + ": " + ec.message());
    return kExitUsage;
  }
  std::string heap = std::to_string(heap_limit_mb);
  std::vector<const char*> args = {worker.c_str(),      "--build-snapshot", "--bundle",
                                   bundle.c_str(),      "--snapshot-dir",   snapshot_dir.c_str(),
                                   "--heap-limit-mb",   heap.c_str(),       "--node-env",
                                   node_env.c_str(),    nullptr};
  // Spawned and waited for, not exec'd: V8 aborts the builder on a bundle it cannot serialise,
  // and the user should be told what that means rather than see a bare core dump.
  pid_t pid = 0;
  if (int rc = posix_spawn(&pid, worker.c_str(), nullptr, nullptr,
                           const_cast<char* const*>(args.data()), environ);
      rc != 0) {
    PrintError("cannot run " + worker + ": " + std::strerror(rc));
    return kExitUsage;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(status)) {
    std::printf("snapshot: unavailable: %s\n",
                ssrd::pool::BuilderKilledMessage(WTERMSIG(status)).c_str());
    return kExitUsage;
  }
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : kExitUsage;
  return code == 0 ? 0 : (code == kExitBundle ? kExitBundle : kExitUsage);
}

std::string DefaultSocketPath() {
  const char* runtime_dir = std::getenv("XDG_RUNTIME_DIR");
  if (runtime_dir != nullptr && *runtime_dir != '\0')
    return std::string(runtime_dir) + "/ssrd.sock";
  return "/tmp/ssrd-" + std::to_string(getuid()) + ".sock";
}

int ExitCodeFor(const ssrd::ipc::Error& error) {
  return error.code == ErrorCode::kBundleError ? kExitBundle : kExitUsage;
}


// Owns everything on the loop; the loop runs until every handle has closed.
class Daemon {
 public:
  explicit Daemon(uv_loop_t* loop) : loop_(loop) {}

  int Run(ssrd::pool::PoolOptions options, const std::string& socket_path,
          std::uint32_t drain_timeout_ms) {
    drain_timeout_ms_ = drain_timeout_ms;
    std::size_t max_frame_bytes = options.max_frame_bytes;
    auto pool = ssrd::pool::Pool::Create(loop_, std::move(options));
    if (!pool.ok()) {
      PrintError(pool.error().message);
      return ExitCodeFor(pool.error());
    }
    pool_ = std::move(pool).value();
    // Listening before the workers start: a taken or unusable socket fails fast, with no child
    // started, and clients that connect early simply wait in the queue.
    auto server = ssrd::pool::SocketServer::Listen(loop_, socket_path, *pool_, max_frame_bytes);
    if (!server.ok()) {
      PrintError(server.error().message);
      return kExitUsage;
    }
    server_ = std::move(server).value();
    InstallSignal(&sigterm_, SIGTERM);
    InstallSignal(&sigint_, SIGINT);
    InstallSignal(&sighup_, SIGHUP);
    pool_->Start([this, socket_path](ssrd::ipc::Result<void> ready) {
      if (shutting_down_) return;  // a signal came first; the pool is already stopping
      if (!ready.ok()) {
        PrintError(ready.error().message);
        Shutdown(ExitCodeFor(ready.error()));
        return;
      }
      std::printf("ssrd: ready on %s with %u workers\n", socket_path.c_str(),
                  pool_->options().workers);
      std::fflush(stdout);
    });
    uv_run(loop_, UV_RUN_DEFAULT);
    server_.reset();
    pool_.reset();
    return exit_code_;
  }

 private:
  void InstallSignal(uv_signal_t** slot, int signum) {
    *slot = new uv_signal_t;
    uv_signal_init(loop_, *slot);
    (*slot)->data = this;
    uv_signal_start(
        *slot,
        [](uv_signal_t* h, int sig) noexcept {
          auto* daemon = static_cast<Daemon*>(h->data);
          if (sig == SIGHUP) {
            spdlog::info("received SIGHUP: reloading the bundle");
            daemon->pool_->Reload("SIGHUP");
          } else if (daemon->shutting_down_) {
            spdlog::warn("received {} again: stopping without waiting", strsignal(sig));
            daemon->pool_->Stop(nullptr);
          } else {
            spdlog::info("received {}: draining, then shutting down", strsignal(sig));
            daemon->Shutdown(0);
          }
        },
        signum);
  }

  void CloseSignal(uv_signal_t** slot) {
    if (*slot == nullptr) return;
    uv_close(reinterpret_cast<uv_handle_t*>(*slot),
             [](uv_handle_t* h) noexcept { delete reinterpret_cast<uv_signal_t*>(h); });
    *slot = nullptr;
  }

  // Exit code 0 drains: no new connections, requests already sent are finished (new ones on open
  // connections get shutting_down), then the workers stop. Any other code stops at once.
  void Shutdown(int exit_code) noexcept {
    if (shutting_down_) return;
    shutting_down_ = true;
    exit_code_ = exit_code;
    if (server_) server_->StopAccepting();
    auto on_stopped = [this] {
      if (server_) server_->Close();  // flushes the replies already written
      CloseSignal(&sigterm_);
      CloseSignal(&sigint_);
      CloseSignal(&sighup_);
      spdlog::debug("stopped");
    };
    if (exit_code == 0) {
      pool_->Drain(drain_timeout_ms_, on_stopped);
    } else {
      pool_->Stop(on_stopped);
    }
  }

  uv_loop_t* loop_;
  std::unique_ptr<ssrd::pool::Pool> pool_;
  std::unique_ptr<ssrd::pool::SocketServer> server_;
  uv_signal_t* sigterm_ = nullptr;
  uv_signal_t* sigint_ = nullptr;
  uv_signal_t* sighup_ = nullptr;
  std::uint32_t drain_timeout_ms_ = 0;
  bool shutting_down_ = false;
  int exit_code_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::string_view(argv[1]) == "snapshot") return SnapshotCommand(argc - 1, argv + 1);
  CLI::App app{"ssrd: server-side rendering daemon (renders JS components with V8 workers)"};
  std::string socket_path = DefaultSocketPath();
  ssrd::pool::PoolOptions options;
  options.workers = uv_available_parallelism();
  std::string log_level = "info";
  app.add_option("--socket", socket_path, "Unix socket to listen on")->capture_default_str();
  app.add_option("--bundle", options.bundle_path, "server bundle (ES module) exporting render()")
      ->required();
  app.add_option("--workers", options.workers, "worker processes (default: number of cores)")
      ->capture_default_str()
      ->check(CLI::Range(1u, 1024u));
  app.add_option("--worker-executable", options.worker_executable,
                 "the ssrd-worker binary (default: ssrd-worker beside ssrd)");
  app.add_option("--heap-limit-mb", options.heap_limit_mb, "V8 heap limit per worker, in MiB")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{8}, std::size_t{1} << 20));
  app.add_option("--max-frame-bytes", options.max_frame_bytes, "largest frame accepted, in bytes")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1024}, std::size_t{1} << 31));
  app.add_option("--timeout-ms", options.default_timeout_ms,
                 "deadline of a request that sets no timeout_ms, queue time included")
      ->capture_default_str()
      ->check(CLI::Range(1u, 3600000u));
  app.add_option("--max-queue", options.max_queue,
                 "requests waiting for a worker before new ones get `overloaded`")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 24));
  app.add_option("--pipeline-depth", options.pipeline_depth,
                 "requests sent to a worker ahead of its replies, so that it never waits for the "
                 "supervisor between renders (1 = one at a time)")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  app.add_option("--recycle-after", options.recycle_after_requests,
                 "replace a worker after this many requests (0 = never)")
      ->capture_default_str();
  app.add_option("--recycle-heap-mb", options.recycle_heap_mb,
                 "replace a worker whose V8 heap passes this many MiB (0 = never)")
      ->capture_default_str();
  app.add_option("--recycle-rss-mb", options.recycle_rss_mb,
                 "replace a worker whose resident memory passes this many MiB (0 = never)")
      ->capture_default_str();
  app.add_option("--warmup-requests", options.warmup_requests,
                 "renders a new worker runs before it takes traffic: a sample of recent requests, "
                 "or those of --warmup-file (0 = no warm-up)")
      ->capture_default_str()
      ->check(CLI::Range(0u, 1000u));
  app.add_option("--warmup-ms", options.warmup_ms, "the longest a new worker spends warming up")
      ->capture_default_str()
      ->check(CLI::Range(0u, 600000u));
  app.add_option("--warmup-file", options.warmup_file,
                 "JSON array of {\"component\", \"props\"} requests for warm-up, used in place of "
                 "the sample (then the first workers warm up too, before the ready line)");
  app.add_option("--start-timeout-ms", options.start_timeout_ms,
                 "kill a worker that is not ready this long after it started (bundle load included)")
      ->capture_default_str()
      ->check(CLI::Range(1u, 3600000u));
  std::uint32_t drain_timeout_ms = 10000;
  app.add_option("--drain-timeout-ms", drain_timeout_ms,
                 "on SIGTERM, how long queued and running requests may take to finish")
      ->capture_default_str();
  options.snapshot_dir = DefaultSnapshotDir();
  app.add_option("--snapshot-dir", options.snapshot_dir,
                 "cache of startup snapshots, built at start and reload when missing")
      ->capture_default_str();
  bool no_snapshot = false;
  app.add_flag("--no-snapshot", no_snapshot, "workers load the bundle without a snapshot");
  app.add_option("--isolation", options.isolation,
                 "guarded: one warm context per worker, replaced when a render leaves something "
                 "on the global object or the builtins; fresh: a new context per render (module "
                 "state too, much slower); shared: one context, no check")
      ->capture_default_str()
      ->check(CLI::IsMember({"guarded", "fresh", "shared"}));
  bool reuse_context = false;
  app.add_flag("--reuse-context", reuse_context, "deprecated: --isolation shared");
  bool no_watch = false;
  app.add_flag("--no-watch", no_watch,
               "do not reload when the bundle changes on disk (SIGHUP still reloads)");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error, critical or off")
      ->capture_default_str()
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    PrintError(std::string(e.what()) + " (see ssrd --help)");
    return kExitUsage;
  }

  options.watch_bundle = !no_watch;
  if (no_snapshot) options.snapshot_dir.clear();
  if (reuse_context) options.isolation = "shared";
  if (!options.snapshot_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(options.snapshot_dir, ec);
    if (ec) {
      PrintError("cannot create the snapshot directory " + options.snapshot_dir + ": " +
                 ec.message() + " (see --snapshot-dir, --no-snapshot)");
      return kExitUsage;
    }
  }
  // Logs go to stderr: stdout carries only the ready line.
  auto logger = spdlog::stderr_color_mt("ssrd");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(log_level));

  uv_loop_t loop;
  uv_loop_init(&loop);
  int code;
  {
    Daemon daemon(&loop);
    code = daemon.Run(std::move(options), socket_path, drain_timeout_ms);
  }
  // Error paths return before the loop ran: let the handles they opened finish closing.
  uv_run(&loop, UV_RUN_DEFAULT);
  if (uv_loop_close(&loop) != 0) spdlog::warn("the loop closed with handles still open");
  return code;
}
