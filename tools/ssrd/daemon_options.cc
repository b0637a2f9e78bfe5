#include "tools/ssrd/daemon_options.h"

#include <unistd.h>
#include <uv.h>

#include <cctype>
#include <cstdlib>

namespace ssrd::tools {
namespace {

std::string DefaultSocketPath() {
  const char* runtime_dir = std::getenv("XDG_RUNTIME_DIR");
  if (runtime_dir != nullptr && *runtime_dir != '\0')
    return std::string(runtime_dir) + "/ssrd.sock";
  return "/tmp/ssrd-" + std::to_string(getuid()) + ".sock";
}

}  // namespace

// $XDG_CACHE_HOME/ssrd, ~/.cache/ssrd, or a per-user directory under /tmp.
std::string DefaultSnapshotDir() {
  const char* cache = std::getenv("XDG_CACHE_HOME");
  if (cache != nullptr && *cache == '/') return std::string(cache) + "/ssrd";
  const char* home = std::getenv("HOME");
  if (home != nullptr && *home == '/') return std::string(home) + "/.cache/ssrd";
  return "/tmp/ssrd-cache-" + std::to_string(getuid());
}

DaemonSettings DefaultDaemonSettings() {
  DaemonSettings s;
  s.socket_path = DefaultSocketPath();
  s.pool.workers = uv_available_parallelism();
  s.pool.snapshot_dir = DefaultSnapshotDir();
  return s;
}

std::string EnvName(const std::string& long_name) {
  std::string name = "SSRD_";
  for (char c : long_name.substr(long_name.find_first_not_of('-'))) {
    name += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return name;
}

void AddDaemonOptions(CLI::App& app, DaemonSettings& s, bool with_env) {
  auto& options = s.pool;
  app.add_option("--socket", s.socket_path, "Unix socket to listen on (ignored when systemd "
                                            "passes sockets: socket activation)")
      ->capture_default_str();
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
  app.add_option("--busy-poll-us", options.busy_poll_us,
                 "after work, the supervisor and each worker keep polling for the next frame "
                 "this long before sleeping, while the CPUs are not contended: no wake-up of an "
                 "idle CPU per hop, at the cost of that much CPU after each burst (0 = sleep at "
                 "once)")
      ->capture_default_str()
      ->check(CLI::Range(0u, 10000u));
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
  app.add_option("--metrics-listen", s.metrics_listen,
                 "serve /metrics (Prometheus), /healthz and /readyz over HTTP on HOST:PORT, "
                 "e.g. 127.0.0.1:9464 (default: off)");
  app.add_option("--drain-timeout-ms", s.drain_timeout_ms,
                 "on SIGTERM, how long queued and running requests may take to finish")
      ->capture_default_str();
  app.add_option("--snapshot-dir", options.snapshot_dir,
                 "cache of startup snapshots, built at start and reload when missing")
      ->capture_default_str();
  app.add_flag("--no-snapshot", s.no_snapshot, "workers load the bundle without a snapshot");
  app.add_option("--isolation", options.isolation,
                 "guarded: one warm context per worker, replaced when a render leaves something "
                 "on the global object or the builtins; fresh: a new context per render (module "
                 "state too, much slower); shared: one context, no check")
      ->capture_default_str()
      ->check(CLI::IsMember({"guarded", "fresh", "shared"}));
  app.add_flag("--reuse-context", s.reuse_context, "deprecated: --isolation shared");
  app.add_flag("--no-watch", s.no_watch,
               "do not reload when the bundle changes on disk (SIGHUP still reloads)");
  app.add_option("--log-level", s.log_level, "trace, debug, info, warn, error, critical or off")
      ->capture_default_str()
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
  // Added last: --print-config lists options in this order, and existing keys keep their lines.
  app.add_option("--max-connections", s.max_connections,
                 "client connections served at once; the next gets `overloaded` and is closed "
                 "(lowered to what the open-file limit allows beside the workers' needs)")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 24));
  app.add_option("--idle-timeout-ms", s.idle_timeout_ms,
                 "close a connection with no request in flight after this long without a frame "
                 "(0 = never)")
      ->capture_default_str();
  app.add_option("--max-client-backlog-mb", s.max_client_backlog_mb,
                 "replies and stream chunks a client has not read yet; past this its connection "
                 "is closed and its streamed renders stopped")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 20));
  app.add_option("--page-cache-mb", s.page_cache_mb,
                 "memory each worker keeps of V8's freed large-object pages for the next render "
                 "instead of unmapping it, in MiB (0 = off)")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{0}, std::size_t{1024}));
  auto valid_mode = [](const std::string& v) {
    if (v.empty()) return std::string();
    auto mode = ParseSocketMode(v);
    return mode.ok() ? std::string() : mode.error().message;
  };
  app.add_option("--socket-mode", s.access.socket_mode,
                 "permissions of the socket file, octal (\"\" = leave them to the umask); not "
                 "applied to a socket systemd passes")
      ->capture_default_str()
      ->check(valid_mode);
  app.add_option("--socket-group", s.access.socket_group,
                 "group of the socket file, a name or gid (default: the daemon's group)");
  app.add_option("--allow-uid", s.access.allow_uids,
                 "serve only these users (names or uids; repeat or separate with commas), besides "
                 "root and the daemon's own user; others get `forbidden`. Default: anyone the "
                 "socket's mode lets in")
      ->delimiter(',');
  app.add_option("--allow-gid", s.access.allow_gids,
                 "serve only members of these groups (names or gids; repeat or separate with "
                 "commas), as --allow-uid; a peer either list names is served")
      ->delimiter(',');
  app.add_option("--listen", s.listen,
                 "also serve on TCP HOST:PORT, e.g. 127.0.0.1:9000 or [::1]:9000 (repeatable); an "
                 "address that is not loopback needs --auth-token-file")
      ->delimiter(',');
  app.add_option("--auth-token-file", s.auth_token_file,
                 "TCP clients must send one of the tokens in this file first (one per line, 16 "
                 "characters or more, # comments; mode 0640 or stricter); re-read on SIGHUP");
  app.add_flag("--no-socket", s.no_socket,
               "serve no Unix socket, only the --listen addresses (or the sockets systemd passes)");
  app.add_option("--worker-sandbox", options.worker_sandbox,
                 "system calls a worker may make once its bundle is loaded: seccomp (only what "
                 "rendering needs; no files, network or processes; fails the start where the "
                 "kernel cannot), auto (seccomp where the kernel can, else off with a warning) or "
                 "off")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "seccomp", "off"}));
  app.add_option("--worker-user", s.worker_user,
                 "user (name or uid) the workers become once their bundle is loaded; ssrd must run "
                 "as root (default: ssrd's own user)");
  app.add_option("--worker-group", s.worker_group,
                 "group (name or gid) the workers become, and their only group (default: the "
                 "--worker-user's primary group)");
  if (with_env) {
    for (CLI::Option* opt : app.get_options()) {
      if (!opt->get_lnames().empty() && opt->get_lnames().front() != "help") {
        opt->envname(EnvName(opt->get_lnames().front()));
      }
    }
  }
}

}  // namespace ssrd::tools
