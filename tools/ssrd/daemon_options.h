// Every option of the ssrd daemon, in one place, so the command line, the TOML config file and
// the SSRD_* environment (config_loader.h) cannot drift apart.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "pool/pool.h"
#include "tools/ssrd/socket_access.h"

namespace ssrd::tools {

struct DaemonSettings {
  pool::PoolOptions pool;
  std::string socket_path;
  std::uint32_t drain_timeout_ms = 10000;
  std::string log_level = "info";
  bool no_snapshot = false;
  bool reuse_context = false;
  bool no_watch = false;
  std::string metrics_listen;  // "" = no metrics endpoint
  // Client connections (socket_server.h): ssrd lowers max_connections to what the fd limit allows.
  std::size_t max_connections = 4096;
  std::uint32_t idle_timeout_ms = 60000;
  std::size_t max_client_backlog_mb = 64;
  // What each worker keeps of V8's freed large-object pages (isolates/large_page_cache.h), handed
  // to the workers as SSRD_PAGE_CACHE_MB in their environment.
  std::size_t page_cache_mb = 8;
  SocketAccessSettings access{"0660", "", {}, {}};
  // TCP listeners ("127.0.0.1:9000", "[::1]:9000") beside the Unix socket, and the tokens their
  // clients authenticate with ("" = none: loopback addresses only).
  std::vector<std::string> listen;
  std::string auth_token_file;
  bool no_socket = false;  // serve TCP only (needs at least one --listen)
  // Who the workers become once their bundle is loaded (worker_identity.h); "" = unchanged.
  std::string worker_user;
  std::string worker_group;
};

// Defaults that depend on the environment ($XDG_RUNTIME_DIR, $XDG_CACHE_HOME, the core count).
DaemonSettings DefaultDaemonSettings();
std::string DefaultSnapshotDir();

// Registers the daemon's options on `app`, bound to `settings`; with `with_env` each one also
// reads SSRD_<NAME> (EnvName), which CLI11 consults only when neither the command line nor the
// config file set it. `settings` must outlive `app`.
void AddDaemonOptions(CLI::App& app, DaemonSettings& settings, bool with_env);

// "--drain-timeout-ms" -> "SSRD_DRAIN_TIMEOUT_MS".
std::string EnvName(const std::string& long_name);

}  // namespace ssrd::tools
