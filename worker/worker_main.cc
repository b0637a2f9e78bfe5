#include "worker/worker_main.h"

#include <csignal>
#include <memory>
#include <string>

#include <sys/prctl.h>
#include <unistd.h>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "ipc/fd_io.h"
#include "ipc/message.h"
#include "isolates/engine.h"
#include "isolates/v8_process.h"
#include "worker/request_loop.h"
#include "worker/worker_options.h"

namespace ssrd::worker {
namespace {

constexpr int kExitFatal = 2;

void SetUpLogging() {
  auto logger = spdlog::stderr_logger_mt("ssrd-worker");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e [worker %P] %l: %v");
  spdlog::set_default_logger(std::move(logger));
}

bool WriteHello(int fd, const ipc::Reply& hello) {
  std::string frame;
  ipc::EncodeReply(hello, &frame);
  ipc::Result<void> written = ipc::WriteAll(fd, frame);
  // Only fails when the supervisor is already gone: nobody is left to tell, so keep stderr quiet.
  if (!written.ok()) spdlog::debug("cannot write hello: {}", written.error().message);
  return written.ok();
}

}  // namespace

int WorkerMain(int argc, char** argv) {
  // First of all: a worker must never outlive its supervisor, even a SIGKILLed one.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  SetUpLogging();

  int exit_code = 0;
  std::optional<WorkerOptions> options = ParseWorkerOptions(argc, argv, &exit_code);
  if (!options) return exit_code;
  // The parent may have died between fork and prctl, when no signal was armed yet.
  if (options->parent_pid != 0 && getppid() != options->parent_pid) {
    spdlog::error("parent {} is gone; exiting", options->parent_pid);
    return 1;
  }
  // A supervisor that goes away must show up as a write error, not kill us with SIGPIPE.
  std::signal(SIGPIPE, SIG_IGN);

  isolates::EnsureV8Initialized();
  isolates::EngineOptions engine_options;
  engine_options.bundle_path = options->bundle;
  engine_options.heap_limit_mb = options->heap_limit_mb;
  engine_options.node_env = options->node_env;
  ipc::Result<std::unique_ptr<isolates::Engine>> engine = isolates::Engine::Create(engine_options);

  ipc::Reply hello;  // id 0
  if (!engine.ok()) {
    // The hello carries the reason to the supervisor, which reports it once for the whole pool;
    // logging it here too would print one copy per worker.
    spdlog::debug("cannot load bundle: {}", engine.error().ToString());
    hello.error = engine.error();
    WriteHello(options->channel_fd, hello);
    return kExitFatal;
  }
  for (const ipc::ConsoleLine& line : engine.value()->startup_console()) {
    spdlog::info("[bundle] console.{}: {}", line.level, line.text);
  }
  hello.worker_pid = static_cast<std::uint32_t>(getpid());
  if (!WriteHello(options->channel_fd, hello)) return 0;
  spdlog::info("ready: bundle {}, V8 {}", options->bundle, isolates::V8Version());

  LoopEnd end = RunRequestLoop(options->channel_fd, engine.value().get());
  return ExitCode(end);
}

}  // namespace ssrd::worker
