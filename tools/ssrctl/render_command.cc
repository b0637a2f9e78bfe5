#include "tools/ssrctl/render_command.h"

#include <chrono>
#include <iostream>

#include <nlohmann/json.hpp>

#include "tools/ssrctl/exchange.h"

namespace ssrd::ssrctl {
namespace {

using Json = nlohmann::ordered_json;

// With no deadline of its own, ssrctl waits this long.
constexpr std::chrono::milliseconds kDefaultWait{30000};
// Waited past the deadline the daemon was given, so that its own `timeout` reply, which says
// where the render was, arrives before ssrctl gives up.
constexpr std::chrono::milliseconds kReplyGrace{1000};

std::string Dump(const Json& json) {
  // Text a bundle produced is UTF-8 from V8, but a dump must never throw on a bad byte.
  return json.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

Json ErrorJson(const ipc::Error& error) {
  Json out = {{"code", std::string(ipc::ErrorCodeName(error.code))}, {"message", error.message}};
  if (!error.stack.empty()) out["stack"] = error.stack;
  return out;
}

ipc::Result<ipc::Request> MakeRequest(const RenderCommand& command, int timeout_ms) {
  ipc::Request request;
  request.id = 1;
  request.op = ipc::Op::kRender;
  request.component = command.component;
  ipc::Result<std::string> props = ipc::JsonToMsgpack(command.props_json.empty() ? "{}"
                                                                                 : command.props_json);
  if (!props.ok()) return props.error();
  request.props_msgpack = std::move(props.value());
  request.url = command.url;
  request.timeout_ms = static_cast<std::uint32_t>(timeout_ms);
  request.hydrate = command.hydrate;
  request.nonce = command.nonce;
  // People see the page as it would be served; scripts get the reply's fields apart.
  request.combine = command.hydrate && !command.json;
  request.stream = command.stream;
  return request;
}

void PrintConsole(const ipc::Reply& reply) {
  for (const ipc::ConsoleLine& line : reply.console) {
    std::cerr << "console." << line.level << ": " << line.text << "\n";
  }
}

int PrintError(const ipc::Error& error) {
  std::cerr << "ssrctl: error: " << error.ToString() << "\n";
  if (!error.stack.empty()) {
    std::cerr << error.stack << (error.stack.back() == '\n' ? "" : "\n");
  }
  return 1;
}

int PrintForPeople(const ipc::Reply& reply) {
  PrintConsole(reply);
  if (reply.error) return PrintError(*reply.error);
  std::cerr << "status: " << reply.status << "\n";
  if (!reply.head.empty()) std::cerr << "head: " << reply.head << "\n";
  std::cerr.flush();
  std::cout << reply.html;
  if (reply.html.empty() || reply.html.back() != '\n') std::cout << "\n";
  std::cout.flush();
  return std::cout ? 0 : 1;
}

}  // namespace

CLI::App* AddRenderCommand(CLI::App& app, RenderCommand* command) {
  CLI::App* render = app.add_subcommand("render", "render a component and print its HTML");
  render->add_option("component", command->component, "component name passed to the bundle")
      ->required();
  render->add_option("--props", command->props_json, "props as JSON (default {})");
  render->add_option("--url", command->url, "request URL passed to the bundle");
  render->add_flag("--hydrate", command->hydrate,
                   "also ask for the hydration <script> element (printed after the HTML)");
  render->add_option("--nonce", command->nonce, "CSP nonce of the hydration script");
  render->add_flag("--stream", command->stream,
                   "ask for the html as a stream and print each piece as it arrives");
  render->add_flag("--json", command->json,
                   "print the whole reply as JSON: html, head, status, script, console, or error");
  return render;
}

std::string FormatRenderJson(const ipc::Reply& reply) {
  Json console = Json::array();
  for (const ipc::ConsoleLine& line : reply.console) {
    console.push_back({{"level", line.level}, {"text", line.text}});
  }
  if (reply.error) return Dump({{"error", ErrorJson(*reply.error)}, {"console", console}});
  return Dump({{"html", reply.html},
               {"head", reply.head},
               {"status", reply.status},
               {"script", reply.script},
               {"console", console}});
}

int RunRender(const RenderCommand& command, const std::string& socket_path, int timeout_ms) {
  std::string streamed;      // --stream --json: the chunks' html
  bool printed_any = false;  // --stream: pieces already on stdout
  ipc::Result<ipc::Reply> reply = [&]() -> ipc::Result<ipc::Reply> {
    ipc::Result<ipc::Request> request = MakeRequest(command, timeout_ms);
    if (!request.ok()) return request.error();
    auto wait = (timeout_ms > 0 ? std::chrono::milliseconds(timeout_ms) : kDefaultWait) + kReplyGrace;
    return Exchange(socket_path, request.value(), wait, [&](std::string&& html) {
      if (command.json) {
        streamed += html;  // the JSON shows the whole page in "html"
        return;
      }
      std::cout << html;
      std::cout.flush();
      printed_any = true;
    });
  }();
  if (reply.ok() && !reply->error) reply->html = streamed + reply->html;
  if (!reply.ok()) {
    if (!command.json) return PrintError(reply.error());
    std::cout << Dump({{"error", ErrorJson(reply.error())}, {"console", Json::array()}});
    std::cout.flush();
    return 1;
  }
  if (!command.json) {
    // The pieces printed so far end the line the page would have ended.
    if (printed_any && reply->error) std::cout << "\n" << std::flush;
    return PrintForPeople(reply.value());
  }
  std::cout << FormatRenderJson(reply.value());
  std::cout.flush();
  if (!std::cout) return 1;
  return reply->error ? 1 : 0;
}

}  // namespace ssrd::ssrctl
