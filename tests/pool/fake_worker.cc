// A stand-in for ssrd-worker that speaks the worker contract without V8, so the pool's process
// handling can be tested quickly and deterministically. render answers like bundles/echo.mjs
// ("<p>" + component + ":" + JSON.stringify(props) + "</p>"); component "Spin" sleeps props.ms
// first; component "Exit" exits with code props.code instead of answering; component "Count"
// answers "<p>Count:N</p>", N the renders this process has run, itself included; component "Hog"
// answers out_of_memory and exits with code 3, as a worker whose heap ran out does; component
// "Held" answers like echo, but its reply is held and written only with the next reply, as a real
// worker holds the replies of short renders (worker/reply_batch.h). A cancel frame is read
// and ignored (the fake cannot interrupt its sleep; the render then answers normally). A bundle containing
// FAKE_BUNDLE_ERROR gets the bundle_error hello and exit code 2; FAKE_DIE_BEFORE_HELLO exits 1
// before any hello.
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>

#include "ipc/fd_io.h"
#include "ipc/message.h"

using namespace ssrd::ipc;

namespace {

std::string held;  // replies of "Held" renders, written before the next reply

void Send(int fd, const Reply& reply, bool hold = false) {
  EncodeReply(reply, &held);
  if (hold) return;
  if (!WriteAll(fd, held).ok()) std::_Exit(1);
  held.clear();
}

}  // namespace

int main(int argc, char** argv) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  std::string bundle;
  int fd = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--bundle") bundle = argv[i + 1];
    if (flag == "--channel-fd") fd = std::atoi(argv[i + 1]);
  }
  std::ifstream in(bundle);
  std::stringstream text;
  text << in.rdbuf();
  if (text.str().find("FAKE_DIE_BEFORE_HELLO") != std::string::npos) return 1;
  Reply hello;
  if (!in || text.str().find("FAKE_BUNDLE_ERROR") != std::string::npos) {
    hello.error = MakeError(ErrorCode::kBundleError, "SyntaxError: fake worker rejects " + bundle);
    Send(fd, hello);
    return 2;
  }
  hello.worker_pid = static_cast<std::uint32_t>(getpid());
  Send(fd, hello);

  FrameDecoder decoder;
  std::string payload;
  long renders = 0;
  while (ReadFrame(fd, &decoder, &payload).ok()) {
    DecodeFailure failure;
    auto request = DecodeRequest(payload, &failure);
    if (!request) return 1;
    if (request->op == Op::kCancel) continue;  // never answered, see the worker contract
    Reply reply;
    reply.id = request->id;
    if (request->op == Op::kRender) {
      auto props = nlohmann::json::from_msgpack(request->props_msgpack);
      ++renders;
      if (request->component == "Exit") return props.value("code", 1);
      if (request->component == "Hog") {
        reply.error = MakeError(ErrorCode::kOutOfMemory, "render failed: the heap limit was reached");
        Send(fd, reply);
        return 3;
      }
      if (request->component == "Spin") {
        std::this_thread::sleep_for(std::chrono::milliseconds(props.value("ms", 0)));
      }
      reply.html = request->component == "Count"
                       ? "<p>Count:" + std::to_string(renders) + "</p>"
                       : "<p>" + request->component + ":" + props.dump() + "</p>";
    }
    Send(fd, reply, request->op == Op::kRender && request->component == "Held");
  }
  return 0;
}
