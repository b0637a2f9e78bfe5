// `ssrctl render`: renders one component and shows the daemon's reply.
//
//   ssrctl render COMPONENT [--props JSON] [--url U] [--hydrate [--nonce N]] [--json]
//
// For people: the HTML on stdout (followed by the hydration <script> element with --hydrate, as a
// page would carry it); on stderr the console lines, then "status: N" and, when the bundle gave
// one, "head: …". A failed render prints its console lines, then "ssrctl: error: CODE: MESSAGE"
// and the JS stack, on stderr.
// For scripts (--json): the whole reply as one JSON object on stdout,
//   {"html", "head", "status", "script", "console": [{"level", "text"}]} or
//   {"error": {"code", "message", "stack"?}, "console": [...]},
// the same error object when the daemon cannot be reached or does not answer in time.
// Either way the exit code is 0 for a rendered page and 1 for any error.
//
// The request goes over a connection of its own (exchange.h), so that a failed render's console
// and every field of the reply reach the output. Single-threaded.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "ipc/message.h"

namespace ssrd::ssrctl {

struct RenderCommand {
  std::string component;
  std::string props_json;  // "" = {}
  std::string url;
  bool hydrate = false;
  std::string nonce;
  bool json = false;
  bool stream = false;  // ask for a stream and print the html as it arrives
};

// Adds the `render` subcommand and its options to `app`, filling *command when it is parsed.
CLI::App* AddRenderCommand(CLI::App& app, RenderCommand* command);

// Runs the command; the exit code. timeout_ms 0 = the daemon's default deadline (and 30 s here).
int RunRender(const RenderCommand& command, const std::string& socket_path, int timeout_ms);

// The --json text of a reply (ending with a newline).
std::string FormatRenderJson(const ipc::Reply& reply);

}  // namespace ssrd::ssrctl
