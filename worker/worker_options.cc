#include "worker/worker_options.h"

#include <CLI/CLI.hpp>

namespace ssrd::worker {

std::optional<WorkerOptions> ParseWorkerOptions(int argc, char** argv, int* exit_code) {
  WorkerOptions options;
  CLI::App app{"ssrd worker: renders requests read from its channel with one V8 isolate"};
  app.add_option("--bundle", options.bundle, "server bundle (ES module or classic script)")
      ->required();
  app.add_option("--heap-limit-mb", options.heap_limit_mb, "V8 heap limit in MiB")
      ->check(CLI::Range(8, 1 << 20));
  app.add_option("--channel-fd", options.channel_fd, "socket to the supervisor")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--node-env", options.node_env, "process.env.NODE_ENV seen by the bundle");
  app.add_option("--parent-pid", options.parent_pid, "exit at once unless this is the parent");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    *exit_code = code == 0 ? 0 : 2;
    return std::nullopt;
  }
  return options;
}

}  // namespace ssrd::worker
