// ssrd: the rendering daemon. Listens on a Unix socket (and TCP addresses, --listen) and feeds a
// pool of ssrd-worker processes.
// Exit codes: 0 after SIGTERM/SIGINT, 1 bad command line, config or socket, 2 bundle error.
// Options come from the command line, --config FILE (TOML) and SSRD_* (config_loader.h); under
// systemd it speaks sd_notify and takes passed sockets (systemd_notifier.h, listen_fds.h).
// Signals: SIGTERM/SIGINT drain (a second one stops at once), SIGHUP reloads the bundle and
// re-reads --auth-token-file.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include <CLI/CLI.hpp>
#include <algorithm>
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
#include "pool/busy_poll.h"
#include "pool/pool.h"
#include "pool/snapshot_build.h"
#include "pool/socket_server.h"
#include "logging/journal_log.h"
#include "tools/ssrd/config_loader.h"
#include "snapshots/snapshot_file.h"
#include "tools/ssrd/fd_limit.h"
#include "tools/ssrd/listen_fds.h"
#include "tools/ssrd/metrics_endpoint.h"
#include "tools/ssrd/prometheus_text.h"
#include "tools/ssrd/systemd_notifier.h"
#include "tools/ssrd/worker_identity.h"

namespace {

using ssrd::ipc::ErrorCode;

constexpr int kExitUsage = 1;
constexpr int kExitBundle = 2;

// One line whatever the message holds: a bundle's error text comes from JavaScript.
void PrintError(const std::string& message) {
  std::fprintf(stderr, "%sssrd: error: %s\n", ssrd::logging::ErrorPrefix(),
               ssrd::ipc::EscapeForLog(message).c_str());
  std::fflush(stderr);
}

// `ssrd snapshot BUNDLE`: builds the startup snapshot ahead of time (for container images) by
// becoming `ssrd-worker --build-snapshot`, which prints the one-line verdict.
int SnapshotCommand(int argc, char** argv) {
  CLI::App app{"ssrd snapshot: build the startup snapshot of a bundle into the cache directory"};
  std::string bundle;
  std::string snapshot_dir = ssrd::tools::DefaultSnapshotDir();
  std::string worker = ssrd::pool::DefaultWorkerExecutable();
  std::size_t heap_limit_mb = 512;
  std::string node_env = "production";
  std::string isolation = "guarded";
  app.add_option("bundle", bundle, "server bundle (ES module) exporting render()")->required();
  app.add_option("--isolation", isolation,
                 "the daemon's --isolation: a guarded daemon's snapshot also holds the context "
                 "guard's record, the others' do not")
      ->capture_default_str()
      ->check(CLI::IsMember({"guarded", "fresh", "shared"}));
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
                                   node_env.c_str(),    "--isolation",      isolation.c_str(),
                                   nullptr};
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

int ExitCodeFor(const ssrd::ipc::Error& error) {
  return error.code == ErrorCode::kBundleError ? kExitBundle : kExitUsage;
}


// "2/2 workers ready, generation 3, 1520 served, last reload 12:03:04 ok": systemctl status.
std::string StatusLine(const ssrd::pool::Pool& pool, const std::string& last_reload) {
  ssrd::pool::Stats stats = pool.stats();
  std::uint64_t generation = 0;
  for (const auto& w : stats.worker_table) {
    if (w.state == "ready" || w.state == "busy") generation = std::max(generation, w.generation);
  }
  std::string line = std::to_string(stats.workers) + "/" + std::to_string(pool.options().workers) +
                     " workers ready, generation " + std::to_string(generation) + ", " +
                     std::to_string(stats.served) + " served";
  if (!last_reload.empty()) line += ", " + last_reload;
  return line;
}

// Test-only: with SSRD_TEST_STALL_LOOP_MS set, SIGUSR2 blocks the loop that long, so a test can
// watch the watchdog heartbeat stop as it would for a hung loop. Unset, SIGUSR2 is left alone.
std::uint32_t TestStallMs() {
  const char* value = std::getenv("SSRD_TEST_STALL_LOOP_MS");
  return value != nullptr ? static_cast<std::uint32_t>(std::strtoul(value, nullptr, 10)) : 0;
}

// Owns everything on the loop; the loop runs until every handle has closed.
class Daemon {
 public:
  explicit Daemon(uv_loop_t* loop)
      : loop_(loop), notifier_(loop, [this] { return StatusLine(*pool_, notifier_.last_reload()); }) {}

  // Where to serve: the Unix socket ("" = none) and TCP addresses, unless systemd passed sockets.
  struct Listeners {
    std::string socket_path;
    std::vector<std::string> tcp;
    std::string auth_token_file;  // re-read on SIGHUP into server_options.auth_tokens
  };

  int Run(ssrd::pool::PoolOptions options, const Listeners& listeners,
          std::vector<ssrd::tools::PassedSocket> passed, std::uint32_t drain_timeout_ms,
          ssrd::pool::SocketServerOptions server_options, const std::string& metrics_listen) {
    drain_timeout_ms_ = drain_timeout_ms;
    auth_token_file_ = listeners.auth_token_file;
    auth_tokens_ = server_options.auth_tokens;
    server_options.max_frame_bytes = options.max_frame_bytes;
    options.on_reload = [this](ssrd::pool::PoolOptions::ReloadPhase phase) {
      using Phase = ssrd::pool::PoolOptions::ReloadPhase;
      if (phase == Phase::kStarted) {
        notifier_.Reloading();
      } else {
        notifier_.ReloadFinished(phase == Phase::kServing);
      }
    };
    auto pool = ssrd::pool::Pool::Create(loop_, std::move(options));
    if (!pool.ok()) {
      for (const auto& p : passed) close(p.fd);
      PrintError(pool.error().message);
      return ExitCodeFor(pool.error());
    }
    pool_ = std::move(pool).value();
    // Listening before the workers start: a taken or unusable socket fails fast, with no child
    // started, and clients that connect early simply wait in the queue.
    std::string where;
    if (passed.empty()) {
      if (!listeners.socket_path.empty()) {
        auto server =
            ssrd::pool::SocketServer::Listen(loop_, listeners.socket_path, *pool_, server_options);
        if (!server.ok()) {
          PrintError(server.error().message);
          return kExitUsage;
        }
        servers_.push_back(std::move(server).value());
        where = listeners.socket_path;
      }
      for (const std::string& address : listeners.tcp) {
        auto server = ssrd::pool::SocketServer::ListenTcp(loop_, address, *pool_, server_options);
        if (!server.ok()) {
          PrintError(server.error().message);
          return kExitUsage;
        }
        where += (where.empty() ? "" : ", ") + server.value()->path();
        servers_.push_back(std::move(server).value());
      }
      if (server_options.auth_tokens != nullptr) {
        spdlog::info("TCP clients authenticate with one of {} token(s) from {}",
                     server_options.auth_tokens->size(), listeners.auth_token_file);
      }
    } else {
      if (!listeners.tcp.empty()) {
        spdlog::info("socket activation: --listen is not used either");
      }
      for (const auto& p : passed) {
        auto server = ssrd::pool::SocketServer::Adopt(loop_, p.fd, *pool_, server_options);
        if (!server.ok()) {
          PrintError(server.error().message);
          return kExitUsage;
        }
        spdlog::info("socket activation: serving on {} ({}); --socket is not used",
                     server.value()->path(), p.name);
        where += (where.empty() ? "" : ", ") + server.value()->path();
        servers_.push_back(std::move(server).value());
      }
    }
    if (!metrics_listen.empty()) {
      ssrd::tools::MetricsEndpoint::Handlers handlers;
      handlers.metrics = [this] {
        std::int64_t connections = 0;
        for (const auto& server : servers_) {
          connections += static_cast<std::int64_t>(server->connection_count());
        }
        return ssrd::tools::PrometheusText(pool_->stats(), connections,
                                           {SSRD_VERSION, ssrd::snapshots::kBuildV8Version});
      };
      handlers.ready = [this] { return !shutting_down_ && pool_->stats().workers > 0; };
      auto endpoint = ssrd::tools::MetricsEndpoint::Listen(loop_, metrics_listen, std::move(handlers));
      if (!endpoint.ok()) {
        PrintError(endpoint.error().message);
        return kExitUsage;
      }
      metrics_ = std::move(endpoint).value();
      spdlog::info("metrics on http://{}/metrics", metrics_listen);
    }
    InstallSignal(&sigterm_, SIGTERM);
    InstallSignal(&sigint_, SIGINT);
    InstallSignal(&sighup_, SIGHUP);
    if (TestStallMs() > 0) InstallSignal(&sigusr2_, SIGUSR2);
    notifier_.Start();
    pool_->Start([this, where](ssrd::ipc::Result<void> ready) {
      if (shutting_down_) return;  // a signal came first; the pool is already stopping
      if (!ready.ok()) {
        PrintError(ready.error().message);
        Shutdown(ExitCodeFor(ready.error()));
        return;
      }
      notifier_.Ready();
      std::printf("ssrd: ready on %s with %u workers\n", where.c_str(), pool_->options().workers);
      std::fflush(stdout);
    });
    ssrd::pool::RunLoop(loop_, std::chrono::microseconds(pool_->options().busy_poll_us));
    servers_.clear();
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
          if (sig == SIGUSR2) {
            spdlog::warn("SIGUSR2 with SSRD_TEST_STALL_LOOP_MS: blocking the loop for {} ms",
                         TestStallMs());
            usleep(TestStallMs() * 1000u);
          } else if (sig == SIGHUP) {
            spdlog::info("received SIGHUP: reloading the bundle");
            daemon->ReloadTokens();
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

  // A token file that no longer loads leaves the tokens in use as they were: a typo during a
  // rotation must not lock every client out.
  void ReloadTokens() {
    if (auth_tokens_ == nullptr) return;
    auto tokens = ssrd::pool::AuthTokens::Load(auth_token_file_);
    if (!tokens.ok()) {
      spdlog::error("{}; keeping the {} token(s) already loaded", tokens.error().message,
                    auth_tokens_->size());
      return;
    }
    *auth_tokens_ = std::move(tokens).value();
    spdlog::info("re-read {}: {} token(s)", auth_token_file_, auth_tokens_->size());
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
    notifier_.Stopping();
    for (auto& server : servers_) server->StopAccepting();
    auto on_stopped = [this] {
      for (auto& server : servers_) server->Close();  // flushes the replies already written
      metrics_.reset();
      CloseSignal(&sigterm_);
      CloseSignal(&sigint_);
      CloseSignal(&sighup_);
      CloseSignal(&sigusr2_);
      notifier_.Close();
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
  std::vector<std::unique_ptr<ssrd::pool::SocketServer>> servers_;
  std::unique_ptr<ssrd::tools::MetricsEndpoint> metrics_;
  ssrd::tools::SystemdNotifier notifier_;
  uv_signal_t* sigterm_ = nullptr;
  uv_signal_t* sigint_ = nullptr;
  uv_signal_t* sighup_ = nullptr;
  uv_signal_t* sigusr2_ = nullptr;
  std::uint32_t drain_timeout_ms_ = 0;
  std::string auth_token_file_;
  std::shared_ptr<ssrd::pool::AuthTokens> auth_tokens_;  // shared with the servers
  bool shutting_down_ = false;
  int exit_code_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::string_view(argv[1]) == "snapshot") return SnapshotCommand(argc - 1, argv + 1);
  auto loaded = ssrd::tools::LoadConfig(argc, argv);
  if (!loaded.ok()) {
    PrintError(loaded.error().message);
    return kExitUsage;
  }
  if (loaded.value().exit_now) {
    std::fputs(loaded.value().output.c_str(), stdout);
    return 0;
  }
  ssrd::tools::DaemonSettings settings = std::move(loaded).value().settings;
  ssrd::pool::PoolOptions& options = settings.pool;
  options.watch_bundle = !settings.no_watch;
  if (settings.no_snapshot) options.snapshot_dir.clear();
  if (settings.reuse_context) options.isolation = "shared";
  // Workers take it from their environment, as they do SSRD_V8_FLAGS: it is read where V8 is set
  // up (isolates/v8_process.cc), not among a worker's options.
  ::setenv("SSRD_PAGE_CACHE_MB", std::to_string(settings.page_cache_mb).c_str(), 1);
  ssrd::pool::SocketServerOptions server_options;
  server_options.idle_timeout_ms = settings.idle_timeout_ms;
  server_options.max_backlog_bytes = settings.max_client_backlog_mb << 20;
  if (auto access = ssrd::tools::ApplySocketAccessSettings(settings.access, &server_options);
      !access.ok()) {
    PrintError(access.error().message);
    return kExitUsage;
  }
  if (auto identity = ssrd::tools::ResolveWorkerIdentity(settings.worker_user, settings.worker_group);
      identity.ok()) {
    options.worker_uid = identity.value().uid;
    options.worker_gid = identity.value().gid;
  } else {
    PrintError(identity.error().message);
    return kExitUsage;
  }
  if (!settings.auth_token_file.empty()) {
    auto tokens = ssrd::pool::AuthTokens::Load(settings.auth_token_file);
    if (!tokens.ok()) {
      PrintError(tokens.error().message);
      return kExitUsage;
    }
    server_options.auth_tokens = std::make_shared<ssrd::pool::AuthTokens>(std::move(tokens).value());
  }
  if (!options.snapshot_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(options.snapshot_dir, ec);
    if (ec) {
      PrintError("cannot create the snapshot directory " + options.snapshot_dir + ": " +
                 ec.message() + " (see --snapshot-dir, --no-snapshot)");
      return kExitUsage;
    }
  }
  // Taken before any worker starts, so none inherits LISTEN_FDS.
  auto passed = ssrd::tools::TakeListenFds();
  if (!passed.ok()) {
    PrintError(passed.error().message);
    return kExitUsage;
  }
  if (settings.no_socket && settings.listen.empty() && passed.value().empty()) {
    PrintError("--no-socket leaves nothing to serve on: give --listen HOST:PORT");
    return kExitUsage;
  }
  // Logs go to stderr: stdout carries only the ready line.
  auto logger = spdlog::stderr_color_mt("ssrd");
  if (ssrd::logging::StderrIsJournal()) {
    ssrd::logging::UseJournalPattern(*logger, "[ssrd] [%l] %v");
  }
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(settings.log_level));
  // Before any worker starts: they inherit the raised limit, which costs them nothing.
  std::uint64_t open_files = 1024;
  if (auto limit = ssrd::tools::RaiseFdLimit(); limit.ok()) {
    open_files = limit.value().soft;
    spdlog::debug("open files: soft limit {} (was {}), hard limit {}", limit.value().soft,
                  limit.value().before,
                  limit.value().hard == RLIM_INFINITY ? std::string("unlimited")
                                                      : std::to_string(limit.value().hard));
  } else {
    spdlog::warn("{}; serving with the current limit", limit.error().message);
    rlimit current{};
    if (getrlimit(RLIMIT_NOFILE, &current) == 0) open_files = current.rlim_cur;
  }
  // Past the budget an accept would take a descriptor a worker respawn needs.
  const std::size_t budget = ssrd::tools::ConnectionBudget(open_files, options.workers);
  server_options.max_connections = std::min(settings.max_connections, budget);
  if (server_options.max_connections < settings.max_connections) {
    spdlog::info("serving at most {} connections: {} open files allowed, {} kept for {} workers "
                 "(--max-connections {})",
                 server_options.max_connections, open_files,
                 ssrd::tools::ReservedFds(options.workers), options.workers,
                 settings.max_connections);
  }

  uv_loop_t loop;
  uv_loop_init(&loop);
  int code;
  {
    Daemon daemon(&loop);
    Daemon::Listeners listeners{settings.no_socket ? std::string() : settings.socket_path,
                                settings.listen, settings.auth_token_file};
    code = daemon.Run(std::move(options), listeners, std::move(passed).value(),
                      settings.drain_timeout_ms, std::move(server_options), settings.metrics_listen);
  }
  // Error paths return before the loop ran: let the handles they opened finish closing.
  uv_run(&loop, UV_RUN_DEFAULT);
  if (uv_loop_close(&loop) != 0) spdlog::warn("the loop closed with handles still open");
  return code;
}
