// ssrctl: talks to a running ssrd over its socket. One subcommand per protocol operation:
//   ssrctl render COMPONENT [--props JSON] [--url U] [--hydrate [--nonce N]] [--stream] [--json]
//                                                      the HTML on stdout; console, status and head
//                                                      on stderr; or the whole reply as JSON
//                                                      (render_command.h)
//   ssrctl ping                                        "pong (protocol 1) in N µs"
//   ssrctl stats [--json]                              the worker table, then the counters
// Every failure prints "ssrctl: error: <code>: <message>" on stderr (then the JS stack, for
// js_error) and exits 1; render --json prints the error as JSON on stdout instead.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "clients/cpp/client.h"
#include "tools/ssrctl/render_command.h"
#include "tools/ssrctl/stats_view.h"

namespace {

using ssrd::client::Client;
using ssrd::client::ClientOptions;

int Fail(const ssrd::ipc::Error& error) {
  std::cerr << "ssrctl: error: " << error.ToString() << "\n";
  if (error.code == ssrd::ipc::ErrorCode::kJsError && !error.stack.empty()) {
    std::cerr << error.stack << (error.stack.back() == '\n' ? "" : "\n");
  }
  return 1;
}

int Ping(Client& client) {
  const auto start = std::chrono::steady_clock::now();
  auto result = client.Ping();
  const auto elapsed = std::chrono::steady_clock::now() - start;
  if (!result) return Fail(result.error());
  std::cout << "pong (protocol " << ssrd::ipc::kProtocolVersion << ") in "
            << std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count() << " µs\n";
  return 0;
}

// Not through Client: its Stats() returns the counters only, and the table needs the workers.
int Stats(const std::string& socket_path, int timeout_ms, bool json) {
  auto reply = ssrd::ssrctl::FetchStats(
      socket_path, std::chrono::milliseconds(timeout_ms > 0 ? timeout_ms : 30000));
  if (!reply.ok()) return Fail(reply.error());
  std::cout << (json ? ssrd::ssrctl::FormatStatsJson(*reply)
                     : ssrd::ssrctl::FormatStatsTable(*reply));
  std::cout.flush();
  return std::cout ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ssrctl: command-line client of the ssrd rendering daemon"};
  app.require_subcommand(1);
  app.fallthrough();  // --socket/--timeout-ms may also follow the subcommand

  std::string socket_path = ssrd::client::DefaultSocketPath();
  int timeout_ms = 0;
  app.add_option("--socket", socket_path, "Unix socket of the daemon")->capture_default_str();
  app.add_option("--timeout-ms", timeout_ms,
                 "give up after this many milliseconds (0: 30 s, and the daemon's own deadline)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();

  ssrd::ssrctl::RenderCommand render_command;
  auto* render = ssrd::ssrctl::AddRenderCommand(app, &render_command);
  auto* ping = app.add_subcommand("ping", "check that the daemon answers");
  bool stats_json = false;
  auto* stats = app.add_subcommand("stats", "print the worker table and the daemon's counters");
  stats->add_flag("--json", stats_json,
                  "print {\"stats\": {...}, \"workers\": [...]} as JSON instead (memory in bytes)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  if (stats->parsed()) return Stats(socket_path, timeout_ms, stats_json);
  if (render->parsed()) return ssrd::ssrctl::RunRender(render_command, socket_path, timeout_ms);

  ClientOptions options;
  if (timeout_ms > 0) options.request_timeout = std::chrono::milliseconds(timeout_ms);
  auto client = Client::Connect(socket_path, options);
  if (!client) return Fail(client.error());

  if (ping->parsed()) return Ping(**client);
  return 1;
}
